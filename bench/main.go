// Command bench measures trawl as a whole system and prints a table a person
// can compare from run to run. `make bench` runs it; the figures in
// README.md come from it.
//
//	go run ./bench [-objects N] [-runs R] taxii screen
//
// The machine is shared and noisy: each figure is the median of R runs, and
// ratios (last page / first page) matter more than absolutes.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sort"
	"syscall"
	"text/tabwriter"
	"time"
)

type result struct {
	name, value, target string
}

func main() {
	objects := flag.Int("objects", 1_000_000, "objects in the paging collection")
	runs := flag.Int("runs", 5, "repetitions per figure (the median is reported)")
	conns := flag.Int("conns", 8, "load-generator connections for the screening benchmark")
	flag.Parse()
	what := flag.Args()
	if len(what) == 0 {
		what = []string{"taxii"}
	}
	ctx := context.Background()
	defer startProfile()()
	var results []result
	for _, w := range what {
		switch w {
		case "taxii":
			r, err := benchTAXII(ctx, *objects, *runs)
			if err != nil {
				fmt.Fprintln(os.Stderr, "bench taxii:", err)
				os.Exit(1)
			}
			results = append(results, r...)
		case "screen":
			r, err := benchScreen(ctx, 100_000, *conns, 10*time.Second)
			if err != nil {
				fmt.Fprintln(os.Stderr, "bench screen:", err)
				os.Exit(1)
			}
			results = append(results, r...)
		default:
			fmt.Fprintf(os.Stderr, "bench: unknown benchmark %q (want taxii or screen)\n", w)
			os.Exit(2)
		}
	}
	fmt.Printf("\ntrawl bench — %s, %d CPUs, %s\n\n", time.Now().UTC().Format("2006-01-02"), runtime.NumCPU(), runtime.Version())
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FIGURE\tMEASURED\tTARGET")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.name, r.value, r.target)
	}
	tw.Flush()
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

func percentile(xs []time.Duration, p float64) time.Duration {
	s := append([]time.Duration(nil), xs...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// maxRSS is the peak resident memory of this process so far.
func maxRSS() string {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return fmt.Sprintf("%.0f MB", float64(ru.Maxrss)/1024)
}
