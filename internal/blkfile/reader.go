package blkfile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/trawlhq/trawl/internal/btcnet"
	"github.com/trawlhq/trawl/internal/errs"
)

// MaxBlockSize is the largest record size accepted: the consensus limit of
// 4,000,000 bytes plus a margin. A larger size field is corruption, and the
// cap keeps a damaged file from making the reader allocate without bound.
const MaxBlockSize = 4 << 20

const headerSize = 80

// DefaultMaxDetached is the number of detached orphans Scan tolerates by
// default: a few stray blocks whose parent Core never stored are normal, a
// gap in the middle of the chain is not.
const DefaultMaxDetached = 16

// FormatError says where a block file is damaged. It reaches callers wrapped
// in an *errs.Error with code Invalid.
type FormatError struct {
	File   string // path of the block file
	Offset int64  // byte offset of the record (its magic) in the file
	Reason string
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("%s at offset %d: %s", e.File, e.Offset, e.Reason)
}

// Warning is damage that was skipped, the way Core skips it.
type Warning struct {
	File   string
	Offset int64
	Reason string
}

func (w Warning) String() string {
	return fmt.Sprintf("%s at offset %d: %s", w.File, w.Offset, w.Reason)
}

// Reader reads the block files of one directory. Its methods are safe for
// concurrent use once the exported fields are set.
type Reader struct {
	// MaxDetached is how many detached orphans Scan reports before it
	// refuses the files as having a gap (see doc.go). Open sets
	// DefaultMaxDetached.
	MaxDetached int
	// Workers is how many goroutines Scan and Chain.Blocks use; Open sets
	// GOMAXPROCS.
	Workers int

	fsys   fs.FS
	dir    string // prefix of file names in messages
	files  []blkFile
	key    [8]byte
	xor    bool
	magic  [4]byte
	net    btcnet.Network
	handle handles
}

type blkFile struct {
	num  int
	name string
	size int64
}

// Open opens the block files in dir (Core's <datadir>/blocks). It lists
// blk*.dat by number, reads xor.dat and detects the network from the first
// record's magic.
func Open(dir string) (*Reader, error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		if err == nil {
			err = fmt.Errorf("not a directory")
		}
		return nil, errs.Wrap(errs.NotFound, err, "blkfile: block directory %s", dir)
	}
	return open(os.DirFS(dir), dir)
}

// OpenFS is Open over a file system whose files implement io.ReaderAt (as
// os.DirFS and testing/fstest.MapFS do).
func OpenFS(fsys fs.FS) (*Reader, error) { return open(fsys, "") }

func open(fsys fs.FS, dir string) (*Reader, error) {
	r := &Reader{MaxDetached: DefaultMaxDetached, Workers: runtime.GOMAXPROCS(0), fsys: fsys, dir: dir}
	r.handle.fsys = fsys
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, errs.Wrap(errs.NotFound, err, "blkfile: cannot list %s", r.display("."))
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasPrefix(name, "blk") || !strings.HasSuffix(name, ".dat") {
			continue
		}
		num, err := strconv.Atoi(name[3 : len(name)-4])
		if err != nil || num < 0 {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return nil, errs.Wrap(errs.Internal, err, "blkfile: stat %s", r.display(name))
		}
		r.files = append(r.files, blkFile{num: num, name: name, size: info.Size()})
	}
	if len(r.files) == 0 {
		return nil, errs.E(errs.NotFound, "blkfile: no blk*.dat files in %s", r.display("."))
	}
	sort.Slice(r.files, func(i, j int) bool { return r.files[i].num < r.files[j].num })

	key, err := fs.ReadFile(fsys, "xor.dat")
	switch {
	case err == nil && len(key) != 8:
		return nil, errs.E(errs.Invalid, "blkfile: %s has %d bytes, want an 8-byte key", r.display("xor.dat"), len(key))
	case err == nil:
		copy(r.key[:], key)
		r.xor = r.key != [8]byte{}
	case !isNotExist(err):
		return nil, errs.Wrap(errs.Internal, err, "blkfile: read %s", r.display("xor.dat"))
	}

	// The first non-zero magic names the network; Scan holds every other
	// record to it.
	for i := range r.files {
		var m [4]byte
		if r.files[i].size < 4 {
			continue
		}
		if err := r.readAt(i, m[:], 0); err != nil {
			return nil, err
		}
		if m != [4]byte{} {
			r.magic, r.net = m, btcnet.FromMagic(m)
			break
		}
	}
	return r, nil
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

func (r *Reader) display(name string) string {
	if r.dir == "" {
		return name
	}
	return filepath.Join(r.dir, filepath.FromSlash(name))
}

func (r *Reader) fileName(i int) string { return r.display(r.files[i].name) }

// Network returns the network named by the files' magic, Unknown for a magic
// that is not one of btcnet's (a custom signet) or when no file holds data.
func (r *Reader) Network() btcnet.Network { return r.net }

// Magic returns the network magic of the files as it appears on disk.
func (r *Reader) Magic() [4]byte { return r.magic }

// Obfuscated reports whether the files are xored with a key from xor.dat.
func (r *Reader) Obfuscated() bool { return r.xor }

// Files returns the paths of the block files in number order.
func (r *Reader) Files() []string {
	out := make([]string, len(r.files))
	for i := range r.files {
		out[i] = r.fileName(i)
	}
	return out
}

// Close closes the open files. The Reader and its Chains must not be used
// afterwards.
func (r *Reader) Close() error { return r.handle.closeAll() }

// readAt reads len(p) bytes of file i at off, deobfuscated.
func (r *Reader) readAt(i int, p []byte, off int64) error {
	ra, release, err := r.handle.get(r.files[i].name)
	if err != nil {
		return errs.Wrap(errs.Internal, err, "blkfile: open %s", r.fileName(i))
	}
	defer release()
	n, err := ra.ReadAt(p, off)
	if n == len(p) {
		err = nil
	}
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return errs.Wrap(errs.Internal, err, "blkfile: read %s at offset %d", r.fileName(i), off)
	}
	if r.xor {
		xorAt(p, r.key, off)
	}
	return nil
}

// xorAt undoes (or applies) Core's obfuscation of bytes that sit at off in
// their file, eight bytes at a time.
func xorAt(p []byte, key [8]byte, off int64) {
	var rot [8]byte
	for j := range rot {
		rot[j] = key[(off+int64(j))%8]
	}
	k := binary.LittleEndian.Uint64(rot[:])
	i := 0
	for ; i+8 <= len(p); i += 8 {
		binary.LittleEndian.PutUint64(p[i:], binary.LittleEndian.Uint64(p[i:])^k)
	}
	for ; i < len(p); i++ {
		p[i] ^= rot[i%8]
	}
}

// handles keeps block files open between reads, at most maxOpen at a time,
// so that a mainnet directory of thousands of files stays under the
// process's descriptor limit.
type handles struct {
	fsys  fs.FS
	mu    sync.Mutex
	open  map[string]*handle
	clock uint64 // use counter for evicting the least recently used file
}

type handle struct {
	f    fs.File
	ra   io.ReaderAt
	refs int
	used uint64
}

const maxOpen = 32

func (h *handles) get(name string) (io.ReaderAt, func(), error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.open == nil {
		h.open = map[string]*handle{}
	}
	h.clock++
	if e, ok := h.open[name]; ok {
		e.refs++
		e.used = h.clock
		return e.ra, h.releaser(e), nil
	}
	if len(h.open) >= maxOpen {
		var victim string
		var oldest uint64 = ^uint64(0)
		for n, e := range h.open {
			if e.refs == 0 && e.used < oldest {
				victim, oldest = n, e.used
			}
		}
		if victim != "" {
			h.open[victim].f.Close()
			delete(h.open, victim)
		}
	}
	f, err := h.fsys.Open(name)
	if err != nil {
		return nil, nil, err
	}
	ra, ok := f.(io.ReaderAt)
	if !ok {
		f.Close()
		return nil, nil, fmt.Errorf("%s does not support ReadAt", path.Clean(name))
	}
	e := &handle{f: f, ra: ra, refs: 1, used: h.clock}
	h.open[name] = e
	return ra, h.releaser(e), nil
}

func (h *handles) releaser(e *handle) func() {
	return func() {
		h.mu.Lock()
		e.refs--
		h.mu.Unlock()
	}
}

func (h *handles) closeAll() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	var first error
	for n, e := range h.open {
		if err := e.f.Close(); err != nil && first == nil {
			first = err
		}
		delete(h.open, n)
	}
	return first
}

func allZero(p []byte) bool { return len(bytes.Trim(p, "\x00")) == 0 }
