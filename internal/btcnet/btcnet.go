package btcnet

import (
	"strings"

	"github.com/trawlhq/trawl/internal/errs"
)

// Network is a Bitcoin network. The zero value is Unknown.
type Network uint8

const (
	Unknown Network = iota
	Mainnet
	Testnet3
	Testnet4
	Signet // the default public signet; custom signets have other magics
	Regtest
)

// Networks lists every named network.
var Networks = []Network{Mainnet, Testnet3, Testnet4, Signet, Regtest}

type params struct {
	name  string
	magic [4]byte
	hrp   string
	p2pkh byte
	p2sh  byte
}

var table = [...]params{
	Unknown:  {name: "unknown"},
	Mainnet:  {"mainnet", [4]byte{0xf9, 0xbe, 0xb4, 0xd9}, "bc", 0x00, 0x05},
	Testnet3: {"testnet3", [4]byte{0x0b, 0x11, 0x09, 0x07}, "tb", 0x6f, 0xc4},
	Testnet4: {"testnet4", [4]byte{0x1c, 0x16, 0x3f, 0x28}, "tb", 0x6f, 0xc4},
	Signet:   {"signet", [4]byte{0x0a, 0x03, 0xcf, 0x40}, "tb", 0x6f, 0xc4},
	Regtest:  {"regtest", [4]byte{0xfa, 0xbf, 0xb5, 0xda}, "bcrt", 0x6f, 0xc4},
}

func (n Network) p() *params {
	if int(n) >= len(table) {
		return &table[Unknown]
	}
	return &table[n]
}

// String returns the network's lower-case name ("mainnet", "regtest").
func (n Network) String() string { return n.p().name }

// Known reports whether n is a named network with an address encoding.
func (n Network) Known() bool { return n != Unknown && int(n) < len(table) }

// Magic returns the block-file and P2P magic, as the bytes appear on disk.
// Unknown has the zero magic.
func (n Network) Magic() [4]byte { return n.p().magic }

// HRP returns the bech32 human-readable part of segwit addresses, "" for
// Unknown.
func (n Network) HRP() string { return n.p().hrp }

// PubKeyHashAddrID returns the base58check version byte of P2PKH addresses.
func (n Network) PubKeyHashAddrID() byte { return n.p().p2pkh }

// ScriptHashAddrID returns the base58check version byte of P2SH addresses.
func (n Network) ScriptHashAddrID() byte { return n.p().p2sh }

// FromMagic returns the network whose magic is m, or Unknown.
func FromMagic(m [4]byte) Network {
	for _, n := range Networks {
		if table[n].magic == m {
			return n
		}
	}
	return Unknown
}

// Parse accepts a network name as users type it: the names of String plus
// the common aliases of Bitcoin Core and btcd ("main", "testnet", "test",
// "regression").
func Parse(s string) (Network, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "mainnet", "main", "bitcoin":
		return Mainnet, nil
	case "testnet3", "testnet", "test":
		return Testnet3, nil
	case "testnet4":
		return Testnet4, nil
	case "signet":
		return Signet, nil
	case "regtest", "regression":
		return Regtest, nil
	}
	return Unknown, errs.E(errs.Invalid, "btcnet: unknown network %q (want mainnet, testnet3, testnet4, signet or regtest)", s)
}
