//go:build !race

package testtool

// raceBuild is true when the tests themselves run under the race detector.
const raceBuild = false
