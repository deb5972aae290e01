// Package pipeline runs work on several goroutines and hands the results
// back in order: a reader of block files or of a node fetches and decodes
// the next blocks while the caller connects the current one.
package pipeline

import (
	"context"
	"sync"
)

// Ordered calls work for every i from from to to (inclusive) on up to
// workers goroutines, and fn with each result in order of i on the calling
// goroutine. newWorker is called once per goroutine and returns its work
// function, which may keep state (a buffer) between calls. At most ahead
// results wait for fn at a time (at least workers). Ordered stops at the
// first error of work, of fn or of ctx and returns it; when it returns, no
// goroutine of it is left running.
func Ordered[T any](ctx context.Context, from, to, workers, ahead int,
	newWorker func() func(ctx context.Context, i int) (T, error), fn func(i int, v T) error) error {
	type result struct {
		v   T
		err error
	}
	type job struct {
		i   int
		out chan result
	}
	workers = max(1, workers)
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()

	// order bounds the read-ahead: work on i starts only once its result
	// slot is queued.
	order := make(chan chan result, max(ahead, workers))
	jobs := make(chan job)
	wg.Go(func() {
		defer close(order)
		defer close(jobs)
		for i := from; i <= to; i++ {
			out := make(chan result, 1)
			select {
			case order <- out:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- job{i, out}:
			case <-ctx.Done():
				return
			}
		}
	})
	for range workers {
		wg.Go(func() {
			work := newWorker()
			for j := range jobs {
				v, err := work(ctx, j.i)
				j.out <- result{v, err}
			}
		})
	}
	i := from
	for out := range order {
		var res result
		select {
		case res = <-out:
		case <-ctx.Done():
			return ctx.Err()
		}
		if res.err != nil {
			return res.err
		}
		if err := fn(i, res.v); err != nil {
			return err
		}
		i++
	}
	return ctx.Err()
}
