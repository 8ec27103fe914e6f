//go:build !unix

package main

// lockSQLite is a no-op where flock is unavailable.
func lockSQLite(string) (func(), error) { return func() {}, nil }
