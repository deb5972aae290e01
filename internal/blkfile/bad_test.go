package blkfile

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"

	"github.com/trawlhq/trawl/internal/errs"
)

// TestBadInput damages real files in the ways disks, crashes and bugs do.
// Each case says whether Scan must fail (naming the file and the record's
// offset) or skip the damage with a warning and how many blocks remain.
func TestBadInput(t *testing.T) {
	_, blocks := mainnetBlocks(t)
	b := blocks[:40]
	good := records(b...)
	off20 := int64(len(records(b[:20]...))) // offset of record 20
	setSize := func(data []byte, off int64, size uint32) []byte {
		c := bytes.Clone(data)
		binary.LittleEndian.PutUint32(c[off+4:], size)
		return c
	}
	testnetMagic := []byte{0x0b, 0x11, 0x09, 0x07}
	cases := []struct {
		name    string
		files   map[string][]byte
		errFile string // "" means Scan succeeds
		errOff  int64
		errText string
		blocks  int // chain length on success
		warns   int
	}{
		{"zero padding ends the data", map[string][]byte{"blk00000.dat": append(bytes.Clone(good), make([]byte, 5000)...)}, "", 0, "", 40, 0},
		{"short zero tail", map[string][]byte{"blk00000.dat": append(bytes.Clone(good), 0, 0, 0)}, "", 0, "", 40, 0},
		{"last record cut short by a crash", map[string][]byte{"blk00000.dat": good[:len(good)-100]}, "", 0, "", 39, 1},
		{"last record cut inside its header", map[string][]byte{"blk00000.dat": append(bytes.Clone(good), mainnetMagic[:3]...)}, "", 0, "", 40, 1},
		{"crash record followed by preallocated zeros", map[string][]byte{"blk00000.dat": append(records(b[:39]...), append(setSize(record(mainnetMagic, b[39]), 0, 1<<20), make([]byte, 2000)...)...)}, "", 0, "", 39, 1},
		{"truncated record in an older file", map[string][]byte{"blk00000.dat": good[:len(good)-100], "blk00001.dat": records(blocks[40:50]...)},
			"blk00000.dat", int64(len(records(b[:39]...))), "runs past the end", 0, 0},
		{"size beyond end, in the middle", map[string][]byte{"blk00000.dat": setSize(good, off20, 3_000_000)}, "blk00000.dat", off20, "over another record", 0, 0},
		{"size above the maximum", map[string][]byte{"blk00000.dat": setSize(good, off20, MaxBlockSize+1)}, "blk00000.dat", off20, "exceeds the maximum", 0, 0},
		{"size below a header", map[string][]byte{"blk00000.dat": setSize(good, off20, 79)}, "blk00000.dat", off20, "smaller than a block header", 0, 0},
		{"wrong magic in the middle", map[string][]byte{"blk00000.dat": append(records(b[:20]...), append(record(testnetMagic, b[20]), records(b[21:]...)...)...)},
			"blk00000.dat", off20, "0b110907", 0, 0},
		{"garbage in the middle", map[string][]byte{"blk00000.dat": append(records(b[:20]...), append([]byte("this is not a block record"), records(b[20:]...)...)...)},
			"blk00000.dat", off20, "where a record", 0, 0},
		{"garbage in a second file", map[string][]byte{"blk00000.dat": good, "blk00001.dat": []byte("\x01garbage!")}, "blk00001.dat", 0, "where a record", 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := writeDir(t, c.files)
			r, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			ch, err := r.Scan(context.Background())
			if c.errFile != "" {
				var fe *FormatError
				if !errors.As(err, &fe) || !errs.Is(err, errs.Invalid) {
					t.Fatalf("got %v, want a FormatError", err)
				}
				if fe.File != filepath.Join(dir, c.errFile) || fe.Offset != c.errOff || !strings.Contains(err.Error(), c.errText) {
					t.Fatalf("error %q at %s:%d, want %s:%d containing %q", err, fe.File, fe.Offset, c.errFile, c.errOff, c.errText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ch.Len() != c.blocks || len(ch.Warnings()) != c.warns {
				t.Fatalf("%d blocks, warnings %v; want %d blocks, %d warnings", ch.Len(), ch.Warnings(), c.blocks, c.warns)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	_, blocks := mainnetBlocks(t)
	if _, err := Open(t.TempDir()); !errs.Is(err, errs.NotFound) {
		t.Errorf("empty dir: %v", err)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "nope")); !errs.Is(err, errs.NotFound) {
		t.Errorf("missing dir: %v", err)
	}
	if _, err := Open(writeDir(t, map[string][]byte{"blk00000.dat": records(blocks[0]), "xor.dat": {1, 2, 3}})); !errs.Is(err, errs.Invalid) {
		t.Errorf("short xor.dat: %v", err)
	}
	r, err := Open(writeDir(t, map[string][]byte{"blk00000.dat": make([]byte, 1<<20), "blk00001.dat": nil}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Scan(context.Background()); !errs.Is(err, errs.NotFound) {
		t.Errorf("preallocated but empty files: %v", err)
	}
	// Files are taken by number, not by name order, and foreign files ignored.
	r, err = Open(writeDir(t, map[string][]byte{"blk10.dat": records(blocks[2]), "blk9.dat": records(blocks[0], blocks[1]), "rev00000.dat": []byte("x"), "blkindex.dat": []byte("y")}))
	if err != nil {
		t.Fatal(err)
	}
	if f := r.Files(); len(f) != 2 || filepath.Base(f[0]) != "blk9.dat" {
		t.Errorf("files %v", f)
	}
}

func TestUndecodableBlock(t *testing.T) {
	_, blocks := mainnetBlocks(t)
	bad := bytes.Clone(blocks[3])
	bad[80] = 0xfe // a tx count of billions in a 215-byte block
	data := records(blocks[0], blocks[1], blocks[2], bad, blocks[4])
	r, err := OpenFS(fstest.MapFS{"blk00000.dat": {Data: data}})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := r.Scan(context.Background())
	if err != nil || ch.Len() != 5 {
		t.Fatalf("the header pass does not decode transactions: %v", err)
	}
	n := 0
	err = ch.Blocks(context.Background(), 0, func(int, *wire.MsgBlock) error { n++; return nil })
	var fe *FormatError
	if !errors.As(err, &fe) || fe.File != "blk00000.dat" || fe.Offset != int64(len(records(blocks[:3]...))) || n != 3 {
		t.Fatalf("after %d blocks: %v", n, err)
	}
}

// TestForks builds competing branches from real blocks: a branch is a real
// block whose header got a new prev-hash or nonce, so it hashes differently.
func TestForks(t *testing.T) {
	_, blocks := mainnetBlocks(t)
	main := blocks[:11] // heights 0..10
	// branch returns n blocks forking off main at height at (their first
	// block has height at), with the given bits.
	branch := func(at, n int, bits uint32, salt uint32) [][]byte {
		var out [][]byte
		prev := hashOf(main[at-1])
		for i := range n {
			b := withHeader(blocks[100+i], prev, bits, salt+uint32(i))
			out = append(out, b)
			prev = hashOf(b)
		}
		return out
	}
	const easy = 0x1d00ffff
	const hard = 0x1c00ffff // 256 times the work of a difficulty-1 block
	cat := func(parts ...[][]byte) [][]byte {
		var out [][]byte
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	short := branch(6, 2, easy, 1)
	long := branch(6, 7, easy, 2)  // tip at height 12
	equal := branch(6, 5, easy, 3) // tip at height 10, like main
	heavy := branch(9, 1, hard, 4)
	cases := []struct {
		name    string
		order   [][]byte
		tip     chainhash.Hash
		height  int
		orphans int
	}{
		{"stale branch of 2", cat(main, short), hashOf(main[10]), 10, 2},
		{"longer branch wins", cat(main, long), hashOf(long[6]), 12, 5},
		{"tie: main seen first", cat(main, equal), hashOf(main[10]), 10, 5},
		{"tie: branch seen first", cat(main[:6], equal, main[6:]), hashOf(equal[4]), 10, 5},
		{"more work beats more blocks", cat(main, heavy), hashOf(heavy[0]), 9, 2},
		{"children before parents", cat(long[3:], main[5:], long[:3], main[:5]), hashOf(long[6]), 12, 5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := OpenFS(fstest.MapFS{"blk00000.dat": {Data: records(c.order...)}})
			if err != nil {
				t.Fatal(err)
			}
			ch, err := r.Scan(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if ch.Tip() != c.tip || ch.Height() != c.height || len(ch.Orphans()) != c.orphans {
				t.Fatalf("tip %s height %d orphans %d; want %s %d %d", ch.Tip(), ch.Height(), len(ch.Orphans()), c.tip, c.height, c.orphans)
			}
			for _, o := range ch.Orphans() {
				if o.Detached || o.Height < 6 {
					t.Errorf("orphan %+v", o)
				}
			}
			if ch.Hash(5) != hashOf(main[5]) || ch.Hash(0).String() != genesisHash {
				t.Errorf("the common part of the chain is wrong")
			}
		})
	}
}

func TestMissingParent(t *testing.T) {
	_, blocks := mainnetBlocks(t)
	b := blocks[:100]
	scan := func(t *testing.T, maxDetached int, bs ...[]byte) (*Chain, error) {
		r, err := OpenFS(fstest.MapFS{"blk00000.dat": {Data: records(bs...)}})
		if err != nil {
			t.Fatal(err)
		}
		r.MaxDetached = maxDetached
		return r.Scan(context.Background())
	}
	t.Run("gap in the middle", func(t *testing.T) {
		_, err := scan(t, DefaultMaxDetached, append(append([][]byte{}, b[:50]...), b[51:]...)...)
		if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), hashOf(b[50]).String()) || !strings.Contains(err.Error(), "49 blocks") {
			t.Fatalf("want an error naming the missing parent: %v", err)
		}
	})
	t.Run("stray block near the tip", func(t *testing.T) {
		ch, err := scan(t, DefaultMaxDetached, append(append([][]byte{}, b[:98]...), b[99])...)
		if err != nil {
			t.Fatal(err)
		}
		o := ch.Orphans()
		if ch.Height() != 97 || len(o) != 1 || !o[0].Detached || o[0].Hash != hashOf(b[99]) {
			t.Fatalf("height %d orphans %+v", ch.Height(), o)
		}
		if _, err := scan(t, 0, append(append([][]byte{}, b[:98]...), b[99])...); !errs.Is(err, errs.Invalid) {
			t.Fatalf("MaxDetached 0 must refuse a detached block: %v", err)
		}
	})
	t.Run("no genesis, as in a pruned node", func(t *testing.T) {
		ch, err := scan(t, DefaultMaxDetached, b[10:]...)
		if err != nil || ch.Len() != 90 || ch.Hash(0) != hashOf(b[10]) {
			t.Fatalf("%v", err)
		}
	})
	t.Run("stored twice", func(t *testing.T) {
		ch, err := scan(t, DefaultMaxDetached, append(append([][]byte{}, b[:10]...), b[5])...)
		if err != nil || ch.Len() != 10 || len(ch.Warnings()) != 1 || len(ch.Orphans()) != 0 {
			t.Fatalf("%v %v", err, ch.Warnings())
		}
	})
}

func FuzzReader(f *testing.F) {
	_, blocks := mainnetBlocks(f)
	f.Add(records(blocks[:3]...), false)
	f.Add(append(records(blocks[:2]...), 0, 0, 0, 0, 1), true)
	f.Add([]byte("\xf9\xbe\xb4\xd9\xff\xff\xff\xff"), false)
	f.Add(append(records(blocks[0]), mainnetMagic...), false)
	f.Fuzz(func(t *testing.T, data []byte, xor bool) {
		fsys := fstest.MapFS{"blk00000.dat": {Data: data}}
		if xor {
			fsys["xor.dat"] = &fstest.MapFile{Data: []byte{1, 2, 3, 4, 5, 6, 7, 8}}
		}
		r, err := OpenFS(fsys)
		if err != nil {
			return
		}
		ch, err := r.Scan(context.Background())
		if err != nil {
			return
		}
		n := 0
		_ = ch.Blocks(context.Background(), 0, func(h int, b *wire.MsgBlock) error {
			if h != n {
				t.Fatalf("height %d, want %d", h, n)
			}
			n++
			return nil
		})
	})
}
