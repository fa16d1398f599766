package cli

import (
	"os"
	"testing"

	"ecr-vpce-lab/internal/testtool"
)

// TestMain removes the program testtool.LabBinary builds for these tests.
func TestMain(m *testing.M) { os.Exit(testtool.Main(m)) }
