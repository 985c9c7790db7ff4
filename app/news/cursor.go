package news

import (
	"strconv"
	"strings"
	"time"
)

// String encodes the cursor for the `next` and `before` API fields:
// "<unix nanoseconds>.<id>", empty for the zero cursor.
func (c Cursor) String() string {
	if c.IsZero() {
		return ""
	}
	return strconv.FormatInt(c.PublishedAt.UnixNano(), 10) + "." + c.ID
}

// ParseCursor decodes a cursor made by Cursor.String.
func ParseCursor(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	ns, id, ok := strings.Cut(s, ".")
	n, err := strconv.ParseInt(ns, 10, 64)
	if !ok || err != nil || n < 0 || !ValidID(id) {
		return Cursor{}, FieldError("before", "is not a cursor from a previous page's \"next\"")
	}
	return Cursor{PublishedAt: time.Unix(0, n).UTC(), ID: id}, nil
}

// ParseSeq decodes an event sequence number (Last-Event-ID or since=).
func ParseSeq(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, FieldError("since", "must be a non-negative event id")
	}
	return n, nil
}
