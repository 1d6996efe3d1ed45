// Reads `go test -json` streams on stdin, prints one line per test and subtest, and ends with the count line.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// event is the subset of test2json's TestEvent this report reads.
type event struct {
	Action  string
	Package string
	Test    string
	Elapsed float64
	Output  string
}

type key struct{ pkg, test string }

func main() {
	output := map[key][]string{}
	var passed, failed, skipped int
	testFailed := map[string]bool{}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<26)
	for in.Scan() {
		line := in.Bytes()
		var ev event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &ev) != nil {
			// Not an event (e.g. a build error printed before test2json took over): show it as is.
			fmt.Println(string(line))
			continue
		}
		k := key{ev.Package, ev.Test}
		switch ev.Action {
		case "output", "build-output":
			output[k] = append(output[k], ev.Output)
		case "pass", "fail", "skip":
			if ev.Test == "" {
				// A package that failed without a failing test (build error, panic, timeout) counts once.
				if ev.Action == "fail" && !testFailed[ev.Package] {
					failed++
					fmt.Printf("FAIL %s (package)\n", ev.Package)
					printIndented(output[k])
				}
				continue
			}
			name := ev.Package[strings.LastIndex(ev.Package, "/")+1:] + "." + ev.Test
			switch ev.Action {
			case "pass":
				passed++
				fmt.Printf("PASS %s (%.2fs)\n", name, ev.Elapsed)
			case "skip":
				skipped++
				fmt.Printf("SKIP %s: %s\n", name, skipReason(output[k]))
			case "fail":
				failed++
				testFailed[ev.Package] = true
				fmt.Printf("FAIL %s (%.2fs)\n", name, ev.Elapsed)
				printIndented(output[k])
			}
			delete(output, k)
		}
	}
	if err := in.Err(); err != nil {
		fmt.Fprintf(os.Stderr, "reading go test output: %v\n", err)
		failed++
	}
	fmt.Printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped)
	if failed > 0 {
		os.Exit(1)
	}
}

// maxFailureLines bounds how much of a failed test's output is shown (the end is the useful part).
const maxFailureLines = 80

// printIndented shows the last lines of a failed test's own output (t.Log/t.Error and relayed plugin logs).
func printIndented(lines []string) {
	if len(lines) > maxFailureLines {
		fmt.Printf("    (%d earlier lines omitted)\n", len(lines)-maxFailureLines)
		lines = lines[len(lines)-maxFailureLines:]
	}
	for _, l := range lines {
		trimmed := strings.TrimRight(l, "\n")
		if strings.HasPrefix(strings.TrimSpace(trimmed), "=== ") {
			continue
		}
		fmt.Println("    " + trimmed)
	}
}

// hclogLine matches the harness's relayed log lines ("... [DEBUG] nomad: ..."), which are never skip reasons.
var hclogLine = regexp.MustCompile(`\[(TRACE|DEBUG|INFO|WARN|ERROR)\] `)

// skipReason extracts the t.Skip message from a skipped test's output: its last non-log line.
func skipReason(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		t := strings.TrimSpace(lines[i])
		if t == "" || strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- SKIP") || hclogLine.MatchString(t) {
			continue
		}
		return t
	}
	return "(no reason given)"
}
