package main

// validateSTIX checks an object with the full STIX 2.1 rules before the hub
// stores it. Until the stix package is wired in, TAXII's own checks apply.
var validateSTIX func(raw []byte) error
