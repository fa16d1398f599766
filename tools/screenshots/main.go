// Command screenshots captures the wizard's README screens on the sandbox and
// renders them to PNG with freeze:
//
//	go run ./tools/screenshots            (or: go generate .)
//
// It writes docs/screens/NAME.png, and NAME.txt, the screen as text that
// internal/screens' test compares with what the program draws today.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"ecr-vpce-lab/internal/screens"
	"ecr-vpce-lab/internal/screentext"
)

// freeze renders captured ANSI to an image, offline.
const freeze = "github.com/charmbracelet/freeze@v0.2.2"

func main() {
	out := flag.String("out", "docs/screens", "directory for the PNG and text files")
	noPNG := flag.Bool("text-only", false, "write the text files only, without rendering PNGs")
	flag.Parse()
	if err := run(*out, !*noPNG); err != nil {
		fmt.Fprintln(os.Stderr, "screenshots:", err)
		os.Exit(1)
	}
}

func run(out string, png bool) error {
	scratch, err := os.MkdirTemp("", "ecr-vpce-lab-screens-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)
	bin := filepath.Join(scratch, "ecr-vpce-lab")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("go build: %w", err)
	}
	shots, err := screens.Capture(context.Background(), bin, scratch)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for _, s := range shots {
		txt := filepath.Join(out, s.Name+".txt")
		if err := os.WriteFile(txt, []byte(screentext.Normalise(s.Text)+"\n"), 0o644); err != nil {
			return err
		}
		if !png {
			fmt.Println("wrote", txt)
			continue
		}
		ansiFile := filepath.Join(scratch, s.Name+".ansi")
		if err := os.WriteFile(ansiFile, []byte(s.ANSI), 0o644); err != nil {
			return err
		}
		img := filepath.Join(out, s.Name+".png")
		cmd := exec.Command("go", "run", freeze, "--output", img, "--window", "--padding", "20,30",
			"--margin", "0", "--background", "#161B22", "--font.size", "14", ansiFile)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("freeze %s: %w", s.Name, err)
		}
		fmt.Println("wrote", img, "and", txt)
	}
	return nil
}
