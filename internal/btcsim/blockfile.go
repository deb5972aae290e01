package btcsim

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"
)

// Bitcoin Core's block file limits: a file is closed before it would grow
// past MaxBlockFileSize, and grows on disk in PreallocChunk steps, so the
// file being written ends in zeros.
const (
	DefaultMaxFileSize   = 128 << 20 // MAX_BLOCKFILE_SIZE
	DefaultPreallocChunk = 16 << 20  // BLOCKFILE_CHUNK_SIZE
	xorKeyFile           = "xor.dat"
)

func blockFileName(n int) string { return fmt.Sprintf("blk%05d.dat", n) }

// blockFileWriter appends magic+size+block records to blkNNNNN.dat files.
type blockFileWriter struct {
	dir           string
	magic         [4]byte
	maxSize       int64
	chunk         int64
	xor           []byte // nil: no obfuscation
	f             *os.File
	bw            *bufio.Writer
	pos           int64 // position in the current file
	files         []string
	bytes         int64
	scratch       []byte
	recordHeader  [8]byte
	blocksInFiles int
}

func newBlockFileWriter(dir string, net wire.BitcoinNet, maxSize, chunk int64, xor []byte) *blockFileWriter {
	w := &blockFileWriter{dir: dir, maxSize: maxSize, chunk: chunk, xor: xor}
	binary.LittleEndian.PutUint32(w.magic[:], uint32(net))
	return w
}

func (w *blockFileWriter) open() error {
	name := blockFileName(len(w.files))
	f, err := os.Create(filepath.Join(w.dir, name))
	if err != nil {
		return err
	}
	w.f, w.pos = f, 0
	if w.bw == nil {
		w.bw = bufio.NewWriterSize(f, 4<<20)
	} else {
		w.bw.Reset(f)
	}
	w.files = append(w.files, name)
	return nil
}

// closeFile finishes the current file; the last one is padded as Core
// leaves it: preallocated space reads as raw zeros (not obfuscated).
func (w *blockFileWriter) closeFile(last bool) error {
	if w.f == nil {
		return nil
	}
	if err := w.bw.Flush(); err != nil {
		return err
	}
	w.bytes += w.pos
	if last && w.chunk > 0 {
		size := (w.pos + w.chunk - 1) / w.chunk * w.chunk
		if size > w.maxSize && w.pos <= w.maxSize {
			size = w.maxSize
		}
		if size > w.pos {
			if err := w.f.Truncate(size); err != nil {
				return err
			}
		}
	}
	err := w.f.Close()
	w.f = nil
	return err
}

func (w *blockFileWriter) write(p []byte) error {
	if w.xor != nil {
		if cap(w.scratch) < len(p) {
			w.scratch = make([]byte, len(p))
		}
		s := w.scratch[:len(p)]
		k := len(w.xor)
		off := int(w.pos % int64(k))
		for i, b := range p {
			s[i] = b ^ w.xor[(off+i)%k]
		}
		p = s
	}
	n, err := w.bw.Write(p)
	w.pos += int64(n)
	return err
}

func (w *blockFileWriter) writeBlock(block []byte) error {
	rec := int64(8 + len(block))
	if w.f == nil || (w.pos > 0 && w.pos+rec > w.maxSize) {
		if err := w.closeFile(false); err != nil {
			return err
		}
		if err := w.open(); err != nil {
			return err
		}
	}
	copy(w.recordHeader[:4], w.magic[:])
	binary.LittleEndian.PutUint32(w.recordHeader[4:], uint32(len(block)))
	if err := w.write(w.recordHeader[:]); err != nil {
		return err
	}
	w.blocksInFiles++
	return w.write(block)
}

// ReadXorKey returns the obfuscation key of a blocks directory, nil when
// there is no xor.dat or the key is all zeros (no obfuscation).
func ReadXorKey(dir string) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(dir, xorKeyFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(b) != 8 {
		return nil, fmt.Errorf("btcsim: %s has %d bytes, want 8", xorKeyFile, len(b))
	}
	if bytes.Equal(b, make([]byte, 8)) {
		return nil, nil
	}
	return b, nil
}

// BlockFiles lists the blkNNNNN.dat files of dir in file-number order.
func BlockFiles(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		n := e.Name()
		if strings.HasPrefix(n, "blk") && strings.HasSuffix(n, ".dat") && len(n) == len("blk00000.dat") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names, nil
}

// RawBlock is one block record as stored: where it is and its bytes
// (de-obfuscated).
type RawBlock struct {
	File   string
	Offset int64 // of the block data, after magic and size
	Seq    int   // position in storage order over all files, from 0
	Data   []byte
}

// ScanBlockFiles calls fn for every block record in dir in storage order,
// undoing xor obfuscation and stopping at each file's zero padding. A
// record with the wrong magic that is not padding is an error.
func ScanBlockFiles(dir string, net wire.BitcoinNet, fn func(RawBlock) error) error {
	key, err := ReadXorKey(dir)
	if err != nil {
		return err
	}
	names, err := BlockFiles(dir)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return fmt.Errorf("btcsim: no blk*.dat files in %s", dir)
	}
	var magic [4]byte
	binary.LittleEndian.PutUint32(magic[:], uint32(net))
	seq := 0
	for _, name := range names {
		raw, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		data := raw
		if key != nil {
			data = make([]byte, len(raw))
			for i, b := range raw {
				data[i] = b ^ key[i%8]
			}
		}
		pos := 0
		for pos+8 <= len(data) {
			if !bytes.Equal(data[pos:pos+4], magic[:]) {
				if isPadding(raw[pos:]) || isPadding(data[pos:]) {
					break
				}
				return fmt.Errorf("btcsim: %s offset %d: no network magic and not zero padding", name, pos)
			}
			size := int(binary.LittleEndian.Uint32(data[pos+4:]))
			if size < 80 || pos+8+size > len(data) {
				return fmt.Errorf("btcsim: %s offset %d: block size %d runs past the end of the file", name, pos, size)
			}
			if err := fn(RawBlock{File: name, Offset: int64(pos + 8), Seq: seq, Data: data[pos+8 : pos+8+size]}); err != nil {
				return err
			}
			seq++
			pos += 8 + size
		}
		if pos < len(data) && pos+8 > len(data) && !isPadding(raw[pos:]) && !isPadding(data[pos:]) {
			return fmt.Errorf("btcsim: %s offset %d: truncated record", name, pos)
		}
	}
	return nil
}

func isPadding(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// ChainBlock is a block delivered in chain order.
type ChainBlock struct {
	Height int
	Hash   chainhash.Hash
	Block  *wire.MsgBlock
	Raw    RawBlock
}

// ErrChainOrder reports blocks that do not form one chain from a genesis
// block: a second genesis, two children of one block, or blocks whose
// parent never appears.
var ErrChainOrder = errors.New("btcsim: blocks do not form one chain")

// ReadChain reads the blocks of dir and calls fn for each in height order,
// following prev-hash links from the block whose prev hash is zero. Blocks
// stored ahead of their parent wait in memory until the parent is seen, so
// memory grows with how far storage order strays from height order.
func ReadChain(dir string, net wire.BitcoinNet, fn func(ChainBlock) error) (int, error) {
	var (
		tip     chainhash.Hash
		height  = -1
		waiting = map[chainhash.Hash]RawBlock{} // by prev hash
	)
	deliver := func(rb RawBlock) error {
		var b wire.MsgBlock
		if err := b.Deserialize(bytes.NewReader(rb.Data)); err != nil {
			return fmt.Errorf("btcsim: %s offset %d: %w", rb.File, rb.Offset, err)
		}
		height++
		tip = b.BlockHash()
		return fn(ChainBlock{Height: height, Hash: tip, Block: &b, Raw: rb})
	}
	err := ScanBlockFiles(dir, net, func(rb RawBlock) error {
		if len(rb.Data) < 80 {
			return io.ErrUnexpectedEOF
		}
		var prev chainhash.Hash
		copy(prev[:], rb.Data[4:36])
		isGenesis := prev == (chainhash.Hash{})
		if isGenesis && height >= 0 {
			return fmt.Errorf("%w: a second genesis block in %s", ErrChainOrder, rb.File)
		}
		if _, dup := waiting[prev]; dup {
			return fmt.Errorf("%w: two blocks with parent %s", ErrChainOrder, prev)
		}
		if !(isGenesis && height < 0) && (height < 0 || prev != tip) {
			// Keep a copy: the file buffer is reused for the next file.
			rb.Data = append([]byte(nil), rb.Data...)
			waiting[prev] = rb
			return nil
		}
		if err := deliver(rb); err != nil {
			return err
		}
		for {
			next, ok := waiting[tip]
			if !ok {
				return nil
			}
			delete(waiting, tip)
			if err := deliver(next); err != nil {
				return err
			}
		}
	})
	if err != nil {
		return height + 1, err
	}
	if height < 0 {
		return 0, fmt.Errorf("%w: no genesis block", ErrChainOrder)
	}
	if len(waiting) > 0 {
		return height + 1, fmt.Errorf("%w: %d blocks do not connect to the chain", ErrChainOrder, len(waiting))
	}
	return height + 1, nil
}
