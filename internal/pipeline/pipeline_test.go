package pipeline

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"
)

func TestOrderedKeepsOrder(t *testing.T) {
	var got []int
	err := Ordered(context.Background(), 3, 200, 4, 8, func() func(context.Context, int) (int, error) {
		return func(_ context.Context, i int) (int, error) {
			time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond)
			return i * i, nil
		}
	}, func(i, v int) error {
		if v != i*i {
			t.Errorf("result %d for %d", v, i)
		}
		got = append(got, i)
		return nil
	})
	if err != nil || len(got) != 198 || got[0] != 3 || got[197] != 200 {
		t.Fatalf("%v: %d results", err, len(got))
	}
	for k := 1; k < len(got); k++ {
		if got[k] != got[k-1]+1 {
			t.Fatalf("out of order at %d: %v", k, got[k-1:k+1])
		}
	}
}

func TestOrderedStops(t *testing.T) {
	boom := errors.New("boom")
	var started atomic.Int32
	worker := func() func(context.Context, int) (int, error) {
		return func(_ context.Context, i int) (int, error) {
			started.Add(1)
			if i == 10 {
				return 0, boom
			}
			return i, nil
		}
	}
	var last int
	err := Ordered(context.Background(), 0, 1_000_000, 2, 4, worker, func(i, _ int) error { last = i; return nil })
	if err != boom || last != 9 {
		t.Fatalf("work's error: %v after %d", err, last)
	}
	if n := started.Load(); n > 20 {
		t.Fatalf("%d items started: the read-ahead is not bounded", n)
	}
	err = Ordered(context.Background(), 0, 100, 2, 4, worker, func(i, _ int) error {
		if i == 5 {
			return boom
		}
		return nil
	})
	if err != boom {
		t.Fatalf("fn's error: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	err = Ordered(ctx, 0, 1_000_000, 2, 4, worker, func(i, _ int) error {
		if i == 3 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	if err := Ordered(context.Background(), 5, 4, 2, 4, worker, func(int, int) error { t.Fatal("called"); return nil }); err != nil {
		t.Fatalf("empty range: %v", err)
	}
}
