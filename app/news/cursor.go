package news

import (
	"strconv"
	"strings"
	"time"
)

// String encodes the cursor as "<unix nanoseconds>.<id>", empty for the
// zero cursor.
func (c Cursor) String() string {
	if c.IsZero() {
		return ""
	}
	return strconv.FormatInt(c.PublishedAt.UnixNano(), 10) + "." + c.ID
}

// ParseCursor decodes a cursor made by Cursor.String; anything else is an
// EInvalid error that names no field, for the caller to name its own.
func ParseCursor(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	ns, id, ok := strings.Cut(s, ".")
	n, err := strconv.ParseInt(ns, 10, 64)
	if !ok || err != nil || n < 0 || !ValidID(id) {
		return Cursor{}, Errorf(EInvalid, "not a cursor made by Cursor.String")
	}
	return Cursor{PublishedAt: time.Unix(0, n).UTC(), ID: id}, nil
}

// ParseSeq decodes an event sequence number, 0 for a blank string; anything
// but a non-negative integer is an EInvalid error that names no field, for
// the caller to name its own.
func ParseSeq(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, Errorf(EInvalid, "not a non-negative event sequence number")
	}
	return n, nil
}
