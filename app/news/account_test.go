package news

import (
	"strings"
	"testing"
)

func TestValidateUserName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"ann", true},
		{"a", true},
		{"ann.smith_2-b", true},
		{"9lives", true},
		{strings.Repeat("a", MaxUserNameLen), true},
		{"", false},
		{strings.Repeat("a", MaxUserNameLen+1), false},
		{"Ann", false},
		{"ann smith", false},
		{".ann", false},
		{"-ann", false},
		{"_ann", false},
		{"ann@example.com", false},
		{"ännа", false},
		{"ann\x00", false},
		{AdminTokenUser, false},
	} {
		err := ValidateUserName(tc.name)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateUserName(%q): got %v, want ok=%v", tc.name, err, tc.ok)
		}
		if err != nil && ErrorCode(err) != EInvalid {
			t.Errorf("ValidateUserName(%q): code %q, want %q", tc.name, ErrorCode(err), EInvalid)
		}
	}
}

func TestParseRole(t *testing.T) {
	for _, s := range []string{"editor", "admin"} {
		if r, err := ParseRole(s); err != nil || string(r) != s {
			t.Errorf("ParseRole(%q): got %q, %v", s, r, err)
		}
	}
	for _, s := range []string{"", "Admin", "chief", "editor "} {
		if _, err := ParseRole(s); ErrorCode(err) != EInvalid {
			t.Errorf("ParseRole(%q): got %v, want an invalid role", s, err)
		}
	}
}

func TestValidatePassword(t *testing.T) {
	for _, tc := range []struct {
		p  string
		ok bool
	}{
		{strings.Repeat("x", MinPasswordLen), true},
		{strings.Repeat("x", MaxPasswordLen), true},
		{strings.Repeat("x", MinPasswordLen-1), false},
		{strings.Repeat("x", MaxPasswordLen+1), false},
		{"", false},
	} {
		if err := ValidatePassword(tc.p); (err == nil) != tc.ok {
			t.Errorf("ValidatePassword(%d bytes): got %v, want ok=%v", len(tc.p), err, tc.ok)
		}
	}
}
