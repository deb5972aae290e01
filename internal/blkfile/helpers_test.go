package blkfile

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/btcsuite/btcd/chainhash/v2"

	"github.com/trawlhq/trawl/internal/testenv"
)

var mainnetMagic = []byte{0xf9, 0xbe, 0xb4, 0xd9}

var (
	mainnetOnce sync.Once
	mainnetFile []byte
	mainnetRecs [][]byte
	mainnetErr  error
)

// mainnetBlocks returns btcd's file of mainnet blocks 0-14131 and its
// blocks (without magic and size), split by a parser of its own so that
// the tests do not trust the code they test.
func mainnetBlocks(t testing.TB) (file []byte, blocks [][]byte) {
	t.Helper()
	p := testenv.BtcdTestdata(t, "blk_0_to_14131.dat")
	mainnetOnce.Do(func() {
		mainnetFile, mainnetErr = os.ReadFile(p)
		mainnetRecs = splitRecords(mainnetFile)
	})
	if mainnetErr != nil {
		t.Fatal(mainnetErr)
	}
	return mainnetFile, mainnetRecs
}

func splitRecords(data []byte) [][]byte {
	var out [][]byte
	for off := 0; off+8 <= len(data) && !bytes.Equal(data[off:off+4], []byte{0, 0, 0, 0}); {
		size := int(binary.LittleEndian.Uint32(data[off+4:]))
		out = append(out, data[off+8:off+8+size])
		off += 8 + size
	}
	return out
}

// record frames a block as Core stores it.
func record(magic []byte, block []byte) []byte {
	out := make([]byte, 0, 8+len(block))
	out = append(out, magic...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(block)))
	return append(out, block...)
}

func records(blocks ...[]byte) []byte {
	var out []byte
	for _, b := range blocks {
		out = append(out, record(mainnetMagic, b)...)
	}
	return out
}

func writeDir(t testing.TB, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// shuffledFiles spreads blocks in random order over n files, each followed
// by zero padding as Core's preallocation leaves it.
func shuffledFiles(blocks [][]byte, n int, seed uint64) map[string][]byte {
	rng := rand.New(rand.NewPCG(seed, seed))
	order := rng.Perm(len(blocks))
	files := map[string][]byte{}
	per := (len(blocks) + n - 1) / n
	for f := 0; f < n; f++ {
		var data []byte
		for _, i := range order[f*per : min(len(order), (f+1)*per)] {
			data = append(data, record(mainnetMagic, blocks[i])...)
		}
		data = append(data, make([]byte, rng.IntN(70000))...)
		files[blkName(f)] = data
	}
	return files
}

func blkName(n int) string { return fmt.Sprintf("blk%05d.dat", n) }

// obfuscate xors every file with key as Core 28 does and adds xor.dat.
func obfuscate(files map[string][]byte, key [8]byte) map[string][]byte {
	out := map[string][]byte{"xor.dat": key[:]}
	for name, data := range files {
		c := bytes.Clone(data)
		for i := range c {
			c[i] ^= key[i%8]
		}
		out[name] = c
	}
	return out
}

func hashOf(block []byte) chainhash.Hash { return chainhash.DoubleHashH(block[:80]) }

// withHeader returns a copy of block with prev-hash, bits and nonce set: a
// block that is real in every byte but its header, to build forks with.
func withHeader(block []byte, prev chainhash.Hash, bits uint32, nonce uint32) []byte {
	c := bytes.Clone(block)
	copy(c[4:36], prev[:])
	binary.LittleEndian.PutUint32(c[72:], bits)
	binary.LittleEndian.PutUint32(c[76:], nonce)
	return c
}
