// Package samplegen writes realistic allocation files: Indian names,
// e-mails and mobiles, mostly new allocations, some top-ups and a few
// debits against the sandbox's demo cards. It makes the demo sample and
// the large files of the benchmarks, which are generated, never committed.
package samplegen

import (
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"

	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
)

var (
	male    = []string{"Aarav", "Vihaan", "Arjun", "Sai", "Reyansh", "Ayaan", "Krishna", "Ishaan", "Shaurya", "Atharv", "Kabir", "Rohan", "Aditya", "Rahul", "Vikram", "Karthik", "Siddharth", "Manish", "Rajesh", "Harsh", "Nikhil", "Pranav", "Dhruv", "Anirudh", "Gaurav"}
	female  = []string{"Saanvi", "Aanya", "Diya", "Ananya", "Pari", "Myra", "Aadhya", "Kiara", "Ira", "Meera", "Priya", "Sneha", "Kavya", "Pooja", "Riya", "Nisha", "Lakshmi", "Divya", "Shreya", "Tanvi", "Neha", "Aishwarya", "Swati", "Deepika", "Anjali"}
	surname = []string{"Sharma", "Verma", "Iyer", "Nair", "Reddy", "Patel", "Gupta", "Mehta", "Rao", "Das", "Banerjee", "Chatterjee", "Kulkarni", "Deshpande", "Joshi", "Singh", "Khan", "Menon", "Pillai", "Agarwal", "Bose", "Mukherjee", "Shetty", "Naidu", "Chauhan"}
	depts   = []string{"Sales", "Engineering", "Operations", "Finance", "HR", "Support", "Marketing"}
	amounts = []string{"500", "750", "1000", "1000", "1250.50", "1500", "2000", "2500", "3000", "5000"}
	remarks = []string{"Monthly reward", "Spot award", "Quarterly incentive", "Referral bonus", "Festive bonus", ""}
)

// Header is the header of generated files.
var Header = []string{"employeeId", "department", "operation", "uniqueReferenceNumber", "firstName", "title", "gender",
	"email", "mobile", "loadAmount", "enkashCardId", "remarks"}

// Options shape a generated file.
type Options struct {
	Rows   int
	Seed   uint64
	Batch  string // reference prefix, for example NOV26
	TopUps int    // rows topping up demo cards (at most 40)
	Debits int    // rows debiting demo cards (at most 40 - TopUps)
}

// Write writes a file with o.Rows data rows.
func Write(w io.Writer, o Options) error {
	if o.TopUps+o.Debits > len(sandbox.DemoCards()) {
		return fmt.Errorf("samplegen: at most %d top-ups and debits together", len(sandbox.DemoCards()))
	}
	if o.Batch == "" {
		o.Batch = "B"
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x5a3c))
	cards := sandbox.DemoCards()
	cw := csv.NewWriter(w)
	if err := cw.Write(Header); err != nil {
		return err
	}
	// Top-ups and debits land on random rows, in card order.
	special := map[int]int{} // row index -> demo card index
	for len(special) < min(o.TopUps+o.Debits, o.Rows) {
		if i := rng.IntN(o.Rows); special[i] == 0 {
			special[i] = -1
		}
	}
	next := 0
	for i := 0; i < o.Rows; i++ {
		if special[i] == -1 {
			special[i] = next
			next++
		}
	}
	rec := make([]string, len(Header))
	for i := 0; i < o.Rows; i++ {
		n := i + 1
		rec[0] = fmt.Sprintf("E%06d", n)
		rec[1] = depts[rng.IntN(len(depts))]
		rec[3] = fmt.Sprintf("%s-%06d", o.Batch, n)
		rec[9] = amounts[rng.IntN(len(amounts))]
		rec[11] = remarks[rng.IntN(len(remarks))]
		k, isSpecial := special[i]
		switch {
		case isSpecial && k < o.TopUps:
			c := cards[k]
			rec[2], rec[4], rec[5], rec[6], rec[7], rec[8], rec[10] = "topup", "", "", "", c.Email, c.Mobile, c.ID
		case isSpecial:
			c := cards[k]
			rec[2], rec[4], rec[5], rec[6], rec[7], rec[8], rec[10] = "debit", "", "", "", c.Email, c.Mobile, c.ID
			rec[9] = []string{"100", "250", "500"}[rng.IntN(3)]
			rec[11] = "Correction of an earlier allocation"
		default:
			first, title, gender := male[rng.IntN(len(male))], "Mr", "M"
			if rng.IntN(2) == 0 {
				first, title, gender = female[rng.IntN(len(female))], []string{"Ms", "Mrs"}[rng.IntN(2)], "F"
			}
			last := surname[rng.IntN(len(surname))]
			rec[2], rec[4], rec[5], rec[6] = "allocate", first+" "+last, title, gender
			rec[7] = fmt.Sprintf("%s.%s%d@example.com", strings.ToLower(first), strings.ToLower(last), n)
			rec[8] = fmt.Sprintf("%d%09d", 6+n%4, (int64(n)*7919)%1_000_000_000)
			rec[10] = ""
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
