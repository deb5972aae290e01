package stix

// TLP marking-definition ids fixed by the OASIS specifications.
const (
	TLP2Clear       = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
	TLP2Green       = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
	TLP2Amber       = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
	TLP2AmberStrict = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
	TLP2Red         = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"

	TLP1White = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
	TLP1Green = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
	TLP1Amber = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
	TLP1Red   = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"

	// TLP2ExtensionID is the extension-definition that TLP 2.0 marking
	// definitions use; their level sits in its property "tlp_2_0".
	TLP2ExtensionID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
)

// TLP is a Traffic Light Protocol level. TLP 1.0 WHITE is TLPClear: both
// mean the information may be shared without restriction.
type TLP string

const (
	TLPClear       TLP = "clear"
	TLPGreen       TLP = "green"
	TLPAmber       TLP = "amber"
	TLPAmberStrict TLP = "amber+strict"
	TLPRed         TLP = "red"
)

// Rank orders levels from least (0, CLEAR) to most restrictive (4, RED);
// -1 for an unknown level. When several TLP markings apply, the highest rank
// wins: distribution may narrow but never widen.
func (t TLP) Rank() int {
	switch t {
	case TLPClear:
		return 0
	case TLPGreen:
		return 1
	case TLPAmber:
		return 2
	case TLPAmberStrict:
		return 3
	case TLPRed:
		return 4
	}
	return -1
}

var tlpByID = map[string]TLP{
	TLP2Clear: TLPClear, TLP2Green: TLPGreen, TLP2Amber: TLPAmber, TLP2AmberStrict: TLPAmberStrict, TLP2Red: TLPRed,
	TLP1White: TLPClear, TLP1Green: TLPGreen, TLP1Amber: TLPAmber, TLP1Red: TLPRed,
}

// tlp2ID and tlp1ID give the one id a TLP marking definition of each level
// may have; a definition under another id would let a producer relabel a
// level, so validation refuses it.
var tlp2ID = map[string]string{"clear": TLP2Clear, "green": TLP2Green, "amber": TLP2Amber, "amber+strict": TLP2AmberStrict, "red": TLP2Red}
var tlp1ID = map[string]string{"white": TLP1White, "green": TLP1Green, "amber": TLP1Amber, "red": TLP1Red}

// TLPOf returns the TLP level of a marking-definition id, and false when the
// id is not one of the TLP 2.0 or TLP 1.0 definitions.
func TLPOf(markingID string) (TLP, bool) {
	t, ok := tlpByID[markingID]
	return t, ok
}

// IsTLP1 reports whether id is one of the TLP 1.0 marking definitions.
func IsTLP1(id string) bool {
	for _, v := range tlp1ID {
		if v == id {
			return true
		}
	}
	return false
}

// TLP returns the most restrictive TLP level among the object's
// object_marking_refs, and false when none of them is a TLP marking.
func (o *Object) TLP() (TLP, bool) {
	best, found := TLP(""), false
	for _, ref := range o.MarkingRefs {
		if t, ok := TLPOf(ref); ok && (!found || t.Rank() > best.Rank()) {
			best, found = t, true
		}
	}
	return best, found
}
