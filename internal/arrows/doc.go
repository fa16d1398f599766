// Package arrows holds the test that guards the import graph DESIGN.md
// draws: which package may import which, so the layering survives the next
// change made in a hurry. It has no code of its own.
package arrows
