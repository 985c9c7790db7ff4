//go:build !linux

package rofs

import "errors"

// SetImmutable reports that there is no immutable attribute off Linux.
func SetImmutable(string, bool) error {
	return errors.New("no immutable attribute on this system")
}
