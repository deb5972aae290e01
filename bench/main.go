// Command bench measures trawl as a whole system and prints a table a person
// can compare from run to run. `make bench` runs it; the figures in
// README.md come from it.
//
//	go run ./bench [-objects N] [-runs R] [-conns 2,4] [-rate 20000] taxii screen
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
	"strconv"
	"strings"
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
	conns := flag.String("conns", "2,3,4,8,16", "load-generator connection counts for the screening benchmark, comma-separated")
	secs := flag.Duration("d", 5*time.Second, "length of one screening run")
	rate := flag.Float64("rate", 20_000, "requests per second the screening benchmark also offers open loop (0: none)")
	rateConns := flag.Int("rate-conns", 64, "connections that share the open-loop rate")
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
			var counts []int
			for _, f := range strings.Split(*conns, ",") {
				n, err := strconv.Atoi(strings.TrimSpace(f))
				if err != nil || n < 1 || n > 1024 {
					fmt.Fprintf(os.Stderr, "bench: -conns: want connection counts from 1 to 1024, like 2,4,8,16; got %q\n", f)
					os.Exit(2)
				}
				counts = append(counts, n)
			}
			if *rate < 0 || *rate > 1e6 || *rateConns < 1 || *rateConns > 1024 {
				fmt.Fprintf(os.Stderr, "bench: want -rate from 0 to 1,000,000 and -rate-conns from 1 to 1024; got %g and %d\n", *rate, *rateConns)
				os.Exit(2)
			}
			r, err := benchScreen(ctx, 100_000, counts, max(*runs, 1), *secs, *rate, *rateConns)
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
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("\ntrawl bench — %s, %d CPUs, %s, load average %s\n\n", time.Now().UTC().Format("2006-01-02 15:04"), runtime.NumCPU(), runtime.Version(), strings.Join(strings.Fields(string(load))[:min(3, len(strings.Fields(string(load))))], " "))
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

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
