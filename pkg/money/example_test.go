package money_test

import (
	"fmt"

	"github.com/rewardbatch/rewardbatch/pkg/money"
)

// EnKash's numbers are read exactly in every JSON form; a person's numbers
// keep the strict rules.
func ExampleParseWire() {
	for _, s := range []string{"2.5E7", "1.2345678E7", "100.0", `"25000000.00"`, "0.125"} {
		a, err := money.ParseWire(s)
		fmt.Println(a, err)
	}
	_, err := money.Parse("2.5E7")
	fmt.Println(err)
	// Output:
	// 25000000 <nil>
	// 12345678 <nil>
	// 100.0 <nil>
	// 25000000.00 <nil>
	// 0 amount "0.125": has non-zero digits beyond hundredths
	// amount "2.5E7": is in scientific notation, which may have lost digits
}
