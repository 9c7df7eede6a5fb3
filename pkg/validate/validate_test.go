package validate

import (
	"context"
	"strings"
	"testing"

	"github.com/rewardbatch/rewardbatch/pkg/reward"

	"github.com/rewardbatch/rewardbatch/pkg/allocfile"
	"github.com/rewardbatch/rewardbatch/pkg/money"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var header = []string{"operation", "uniqueReferenceNumber", "firstName", "title", "gender", "email", "mobile", "loadAmount", "enkashCardId"}

// row returns a valid allocate row with some cells replaced.
func row(edit map[string]string) []string {
	base := map[string]string{
		"operation": "allocate", "uniqueReferenceNumber": "REF-1", "firstName": "Aarav Sharma", "title": "Mr",
		"gender": "M", "email": "aarav@example.com", "mobile": "9876543210", "loadAmount": "500", "enkashCardId": "",
	}
	for k, v := range edit {
		base[k] = v
	}
	out := make([]string, len(header))
	for i, h := range header {
		out[i] = base[h]
	}
	return out
}

func csvOf(hdr []string, rows ...[]string) string {
	var b strings.Builder
	for _, r := range append([][]string{hdr}, rows...) {
		for i, c := range r {
			if i > 0 {
				b.WriteByte(',')
			}
			if strings.ContainsAny(c, ",\"\n") {
				c = `"` + strings.ReplaceAll(c, `"`, `""`) + `"`
			}
			b.WriteString(c)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// scan validates a whole file in the passes a caller makes: again with
// the knowledge of the last pass until a pass needs no other.
func scan(t *testing.T, text string, opts Options) ([]*reward.Item, *Plan) {
	t.Helper()
	var items []*reward.Item
	collect := func(it *reward.Item) error { items = append(items, it); return nil }
	var know *Knowledge
	for pass := 1; ; pass++ {
		require.LessOrEqual(t, pass, 3, "a file needs at most three passes")
		items = nil
		p, err := Stream(context.Background(), "in.csv", strings.NewReader(text), opts, know, collect)
		require.NoError(t, err)
		if !p.Validator.NeedsSecondPass() {
			return items, p.Plan
		}
		know = p.Validator.Knowledge()
	}
}

func TestRowRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		edit    map[string]string
		col     string
		sev     reward.Severity
		problem string
		fix     string
	}{
		{"mobile in scientific notation", map[string]string{"mobile": "9.87654E+09"}, "mobile", reward.SevError,
			"the mobile is in scientific notation (9.87654E+09): Excel turned it into a number and the last digits are lost",
			"format the mobile column as Text and type or paste the numbers again from the source (rewardbatch template writes a sheet whose mobile column is Text already)"},
		{"mobile lost a digit", map[string]string{"mobile": "987654321"}, "mobile", reward.SevError,
			"the mobile has 9 digits, an Indian mobile has 10: digits were lost (Excel drops leading zeros and rounds long numbers) or mistyped",
			"format the mobile column as Text and enter the full 10-digit number"},
		{"mobile too long", map[string]string{"mobile": "98765432101"}, "mobile", reward.SevError,
			"the mobile has 11 digits, an Indian mobile has 10", "enter the 10-digit number without extra digits"},
		{"mobile landline", map[string]string{"mobile": "2226543210"}, "mobile", reward.SevError,
			"the mobile does not start with 6, 7, 8 or 9, as Indian mobiles do", "check the number; a landline cannot hold a reward card"},
		{"mobile letters", map[string]string{"mobile": "98765O3210"}, "mobile", reward.SevError,
			"the mobile has characters other than digits", "write the 10-digit mobile number, for example 9876543210"},
		{"mobile foreign", map[string]string{"mobile": "+1 415 555 0100"}, "mobile", reward.SevError,
			"the mobile is not an Indian number (+91)", "EnKash reward cards need an Indian 10-digit mobile"},
		{"mobile rounded by Excel", map[string]string{"mobile": "9800000000"}, "mobile", reward.SevWarning,
			"the mobile ends in 00000, which is what Excel leaves of a number it rounded", "check the number against the source"},
		{"amount with rupee sign", map[string]string{"loadAmount": "₹500"}, "loadAmount", reward.SevError,
			`the amount "₹500" has a currency sign`, "remove the currency sign and keep only the number (format the column as Number, not Currency)"},
		{"amount with thousands separator", map[string]string{"loadAmount": "1,500"}, "loadAmount", reward.SevError,
			`the amount "1,500" has a thousands separator`, "remove the commas: write 1500"},
		{"amount with decimal comma", map[string]string{"loadAmount": "99,5"}, "loadAmount", reward.SevError,
			`the amount "99,5" uses a decimal comma`, "use a point for decimals and no separators: write 99.5 (check the spreadsheet's region settings)"},
		{"amount with three decimals", map[string]string{"loadAmount": "10.125"}, "loadAmount", reward.SevError,
			`the amount "10.125" has more than 2 decimals`, "round the amount to 2 decimals in the spreadsheet yourself; the tool never rounds money"},
		{"amount zero", map[string]string{"loadAmount": "0.00"}, "loadAmount", reward.SevError,
			"the amount is zero", "enter the points to move, or delete the row"},
		{"amount negative", map[string]string{"loadAmount": "-5"}, "loadAmount", reward.SevError,
			`the amount "-5" is negative`, "write a positive number of points; to take points back use operation debit"},
		{"amount above the ceiling", map[string]string{"loadAmount": "250000"}, "loadAmount", reward.SevError,
			"the amount 250000 is above the per-row ceiling of 100000.00", "check for a typing mistake; if the amount is right, raise --max-amount"},
		{"amount empty", map[string]string{"loadAmount": ""}, "loadAmount", reward.SevError,
			`the amount "" is empty`, "enter the number of points, for example 500"},
		{"title unknown", map[string]string{"title": "Dr"}, "title", reward.SevError,
			`the title "Dr" is not accepted by EnKash`, "use Mr, Mrs or Ms"},
		{"title Miss", map[string]string{"title": "Miss"}, "title", reward.SevError,
			`the title "Miss" is not accepted by EnKash`, "use Ms"},
		{"gender unknown", map[string]string{"gender": "X"}, "gender", reward.SevError,
			`the gender "X" is not accepted by EnKash`, "use M or F (EnKash accepts only these two)"},
		{"email invalid", map[string]string{"email": "aarav@example"}, "email", reward.SevError,
			`the e-mail address "aarav@example" is not valid`, "write one address such as priya.sharma@company.com"},
		{"email missing", map[string]string{"email": ""}, "email", reward.SevError,
			"the email is empty; a new allocation needs it",
			"fill it in, or, for an employee who already has a card, set operation topup and give the enkashCardId"},
		{"first name missing", map[string]string{"firstName": " "}, "firstName", reward.SevError,
			"the firstName is empty; a new allocation needs it",
			"fill it in, or, for an employee who already has a card, set operation topup and give the enkashCardId"},
		{"operation unknown", map[string]string{"operation": "refund"}, "operation", reward.SevError,
			`the operation "refund" is not known`, "use allocate, topup or debit, or leave it empty"},
		{"reference with spaces", map[string]string{"uniqueReferenceNumber": "REF 1"}, "uniqueReferenceNumber", reward.SevError,
			`the reference "REF 1" has characters or a length EnKash may not accept`,
			"use letters, digits, - and _ only, starting with a letter or digit, at most 40 characters"},
		{"reference too long", map[string]string{"uniqueReferenceNumber": strings.Repeat("R", 41)}, "uniqueReferenceNumber", reward.SevError,
			`the reference "` + strings.Repeat("R", 41) + `" has characters or a length EnKash may not accept`,
			"use letters, digits, - and _ only, starting with a letter or digit, at most 40 characters"},
		{"reference empty", map[string]string{"uniqueReferenceNumber": ""}, "uniqueReferenceNumber", reward.SevError,
			"the reference is empty", "fill in a unique reference, or run with --batch-id (for example --batch-id 2026-11) to derive one"},
		{"topup without card", map[string]string{"operation": "topup", "firstName": ""}, "enkashCardId", reward.SevError,
			"a topup needs the card: enkashCardId is empty", "copy the employee's enkashCardId from the EnKash portal or an earlier results.csv"},
		{"first name too long", map[string]string{"firstName": strings.Repeat("é", 101)}, "firstName", reward.SevError,
			"the firstName is 101 characters long; EnKash takes at most 100", "shorten it to at most 100 characters"},
		{"e-mail too long", map[string]string{"email": strings.Repeat("a", 243) + "@example.com"}, "email", reward.SevError,
			"the email is 255 characters long; EnKash takes at most 254", "shorten it to at most 254 characters"},
		{"card id malformed", map[string]string{"operation": "debit", "enkashCardId": "EKC 12"}, "enkashCardId", reward.SevError,
			`the enkashCardId "EKC 12" is not a valid EnKash id`, "copy the id exactly as EnKash shows it (letters and digits only)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			items, plan := scan(t, csvOf(header, row(tt.edit)), Options{})
			require.Len(t, items, 1)
			var found *reward.Issue
			for i, is := range items[0].Issues {
				if is.Column == tt.col && is.Severity == tt.sev {
					found = &items[0].Issues[i]
				}
			}
			require.NotNil(t, found, "issues: %+v", items[0].Issues)
			assert.Equal(t, tt.problem, found.Problem)
			assert.Equal(t, tt.fix, found.Fix)
			assert.Equal(t, 2, found.Line)
			assert.Equal(t, tt.sev != reward.SevError, items[0].Valid)
			assert.Equal(t, plan.RowsRead, plan.Valid+plan.Invalid)
		})
	}
}

func TestNormalisation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		edit  map[string]string
		check func(t *testing.T, a reward.Allocation)
		note  string
	}{
		{"spaces trimmed", map[string]string{"firstName": "  Aarav Sharma "}, func(t *testing.T, a reward.Allocation) {
			assert.Equal(t, "Aarav Sharma", a.FirstName)
		}, "spaces around the value were removed"},
		{"mobile with +91 and spaces", map[string]string{"mobile": "+91 98765 43210"}, func(t *testing.T, a reward.Allocation) {
			assert.Equal(t, "9876543210", a.Mobile)
		}, "the +91 country code was removed from the mobile"},
		{"mobile with 91", map[string]string{"mobile": "919876543210"}, func(t *testing.T, a reward.Allocation) {
			assert.Equal(t, "9876543210", a.Mobile)
		}, "the 91 country code was removed from the mobile"},
		{"mobile with trunk 0", map[string]string{"mobile": "09876543210"}, func(t *testing.T, a reward.Allocation) {
			assert.Equal(t, "9876543210", a.Mobile)
		}, "the leading 0 was removed from the mobile"},
		{"mobile with brackets and dashes", map[string]string{"mobile": "(98765)-43210"}, func(t *testing.T, a reward.Allocation) {
			assert.Equal(t, "9876543210", a.Mobile)
		}, "spaces, dashes and brackets were removed from the mobile"},
		{"mobile stored as a number", map[string]string{"mobile": "9876543210.0"}, func(t *testing.T, a reward.Allocation) {
			assert.Equal(t, "9876543210", a.Mobile)
		}, `the decimal part ".0" Excel added to the mobile was removed`},
		{"title MR", map[string]string{"title": "MR"}, func(t *testing.T, a reward.Allocation) { assert.Equal(t, "Mr", a.Title) },
			`the title "MR" was written as Mr`},
		{"title mrs.", map[string]string{"title": "mrs."}, func(t *testing.T, a reward.Allocation) { assert.Equal(t, "Mrs", a.Title) },
			`the title "mrs." was written as Mrs`},
		{"gender female", map[string]string{"gender": "Female"}, func(t *testing.T, a reward.Allocation) { assert.Equal(t, "F", a.Gender) },
			`the gender "Female" was written as F`},
		{"gender m", map[string]string{"gender": "m"}, func(t *testing.T, a reward.Allocation) { assert.Equal(t, "M", a.Gender) },
			`the gender "m" was written as M`},
		{"email domain", map[string]string{"email": "Aarav.S@Example.COM"}, func(t *testing.T, a reward.Allocation) {
			assert.Equal(t, "Aarav.S@example.com", a.Email)
		}, "the e-mail domain was written in lower case"},
		{"a user's own leading apostrophe is kept", map[string]string{"firstName": "'=Aarav"}, func(t *testing.T, a reward.Allocation) {
			assert.Equal(t, "'=Aarav", a.FirstName)
		}, ""},
		{"amount keeps its digits", map[string]string{"loadAmount": "500.50"}, func(t *testing.T, a reward.Allocation) {
			assert.Equal(t, "500.50", a.Amount.String())
		}, ""},
		{"operation inferred as topup", map[string]string{"operation": "", "firstName": "", "enkashCardId": "EKC123"}, func(t *testing.T, a reward.Allocation) {
			assert.Equal(t, reward.OpTopUp, a.Operation)
			assert.Equal(t, "EKC123", a.EnkashCardID)
		}, ""},
		{"operation inferred as allocate", map[string]string{"operation": ""}, func(t *testing.T, a reward.Allocation) {
			assert.Equal(t, reward.OpAllocate, a.Operation)
		}, ""},
		{"top-up spelled with a dash", map[string]string{"operation": "Top-Up", "enkashCardId": "EKC1"}, func(t *testing.T, a reward.Allocation) {
			assert.Equal(t, reward.OpTopUp, a.Operation)
			assert.Empty(t, a.FirstName, "person fields are not sent with a top-up")
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			items, _ := scan(t, csvOf(header, row(tt.edit)), Options{CompanyID: "C1", CardAccountID: "A1"})
			require.Len(t, items, 1)
			require.True(t, items[0].Valid, "%+v", items[0].Issues)
			tt.check(t, items[0].Allocation)
			assert.Equal(t, "C1", items[0].Allocation.CompanyID)
			if tt.note != "" {
				var notes []string
				for _, is := range items[0].Issues {
					notes = append(notes, is.Problem)
				}
				assert.Contains(t, notes, tt.note)
			}
		})
	}
}

func TestSamePersonTwiceIsAWarning(t *testing.T) {
	t.Parallel()
	text := csvOf(header,
		row(map[string]string{"uniqueReferenceNumber": "R1"}),
		row(map[string]string{"uniqueReferenceNumber": "R2", "mobile": "9876500009", "loadAmount": "700"}),
		row(map[string]string{"uniqueReferenceNumber": "R3", "operation": "topup", "enkashCardId": "EKC1"}),
	)
	items, plan := scan(t, text, Options{})
	assert.True(t, items[1].Valid, "a warning does not refuse the row")
	require.Len(t, plan.WarningList, 1)
	assert.Equal(t, "line 3, column F (email): the same e-mail is also on line 2 for allocate. Fix: check that the employee should get two rows; if not, delete one",
		plan.WarningList[0].String())
	assert.Equal(t, 1, plan.People, "one person in three rows")
}

func TestDerivedReferencesAreStable(t *testing.T) {
	t.Parallel()
	hdr := header[:0:0]
	for _, h := range header {
		if h != "uniqueReferenceNumber" {
			hdr = append(hdr, h)
		}
	}
	mk := func(mobile, email, amount string) []string {
		r := row(map[string]string{"mobile": mobile, "email": email, "loadAmount": amount})
		return append(r[:1:1], r[2:]...)
	}
	a := mk("9876500001", "a@example.com", "100")
	b := mk("9876500002", "b@example.com", "200")
	first, plan := scan(t, csvOf(hdr, a, b, a), Options{BatchID: "2026-11", AllowRepeats: true})
	assert.Equal(t, 3, plan.Derived)
	require.True(t, first[0].Derived)
	assert.True(t, first[2].Valid, "--allow-repeats lets the second payment through")
	assert.NotEqual(t, first[0].Allocation.Reference, first[2].Allocation.Reference, "an allowed repeat is a second occurrence with its own reference")
	assert.Regexp(t, `^RB-2026-11-[0-9A-Z]{16}$`, first[0].Allocation.Reference)

	// A corrected copy: a row deleted above, amounts written differently.
	aAgain := mk("9876500001", "A@EXAMPLE.com", "100.00")
	second, _ := scan(t, csvOf(hdr, aAgain, b), Options{BatchID: "2026-11"})
	assert.Equal(t, first[0].Allocation.Reference, second[0].Allocation.Reference)
	assert.Equal(t, first[1].Allocation.Reference, second[1].Allocation.Reference)

	third, _ := scan(t, csvOf(hdr, a), Options{BatchID: "2026-12"})
	assert.NotEqual(t, first[0].Allocation.Reference, third[0].Allocation.Reference, "another batch, another reference")
}

func TestMissingColumns(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		hdr  string
		opts Options
		want string
	}{
		{"no reference", "firstName,title,gender,email,mobile,loadAmount", Options{},
			"in.csv line 1: the file has no uniqueReferenceNumber column, so rows have no reference that keeps them from being paid twice. Fix: add a uniqueReferenceNumber column with a unique value per row, or run with --batch-id (for example --batch-id 2026-11) to derive stable references"},
		{"no amount and no gender", "firstName,title,email,mobile,ref", Options{},
			"in.csv line 1: the file has no loadAmount, gender column (its columns: \"firstName\", \"title\", \"email\", \"mobile\", \"ref\"). Fix: add the missing column"},
		{"delimiter not recognised", "firstName|title|gender|email|mobile|loadAmount|ref", Options{},
			`in.csv line 1: the header has a single column ("firstName|title|gender|email|mobile|loadAmount|ref"), so the delimiter was not recognised`},
		{"everything missing", "employee,department", Options{},
			"in.csv line 1: the file has no loadAmount, firstName, title, gender, email, mobile, uniqueReferenceNumber column (its columns: \"employee\", \"department\"). Fix: add the missing column"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Stream(context.Background(), "in.csv", strings.NewReader(tt.hdr+"\n"), tt.opts, nil, func(*reward.Item) error { return nil })
			require.ErrorIs(t, err, allocfile.ErrInput)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	_, err := Stream(context.Background(), "in.csv", strings.NewReader("loadAmount\n"), Options{BatchID: "bad id!"}, nil, nil)
	assert.ErrorIs(t, err, ErrOptions)
}

func TestPlanTotalsAndControls(t *testing.T) {
	t.Parallel()
	text := csvOf(header,
		row(map[string]string{"uniqueReferenceNumber": "R1", "loadAmount": "100.25", "mobile": "9876500001", "email": "a@example.com"}),
		row(map[string]string{"uniqueReferenceNumber": "R2", "loadAmount": "0.75", "operation": "topup", "enkashCardId": "EKC1"}),
		row(map[string]string{"uniqueReferenceNumber": "R3", "loadAmount": "50", "operation": "debit", "enkashCardId": "EKC2"}),
		row(map[string]string{"uniqueReferenceNumber": "R4", "loadAmount": "20", "title": "Dr"}),
	)
	_, plan := scan(t, text, Options{})
	assert.Equal(t, 4, plan.RowsRead)
	assert.Equal(t, 3, plan.Valid)
	assert.Equal(t, "100.25", plan.Op(reward.OpAllocate).Total.Fixed2())
	assert.Equal(t, "101.00", plan.Credits().Fixed2())
	assert.Equal(t, "171.00", plan.FileTotal.Fixed2(), "the control total sums the column, as SUM() would")
	assert.Len(t, plan.Hash, 64)

	assert.NoError(t, plan.CheckControls(4, ptr(money.FromHundredths(17100))))
	assert.EqualError(t, plan.CheckControls(5, nil),
		"control total: the file has 4 rows but 5 was expected; the file may be truncated, doubled or not the one approved")
	assert.EqualError(t, plan.CheckControls(-1, ptr(money.FromHundredths(34200))),
		"control total: the file has 171.00 points in total but 342.00 was expected; the file may be truncated, doubled or not the one approved")
}

func TestPlanHashFollowsWhatWouldBeSent(t *testing.T) {
	t.Parallel()
	base := csvOf(header, row(nil))
	_, p1 := scan(t, base, Options{})
	_, p2 := scan(t, strings.ReplaceAll(base, "Mr,", "MR,"), Options{})
	_, p3 := scan(t, strings.ReplaceAll(base, ",500,", ",501,"), Options{})
	_, p4 := scan(t, base, Options{BatchID: "B1"})
	_, p5 := scan(t, base, Options{MaxAmount: money.FromHundredths(100000)})
	assert.Equal(t, p1.Hash, p2.Hash, "normalisation does not change what is sent")
	assert.NotEqual(t, p1.Hash, p3.Hash)
	assert.NotEqual(t, p1.Hash, p4.Hash, "the batch id derives references")
	assert.NotEqual(t, p1.Hash, p5.Hash, "the ceiling decides which rows are valid")
}

// TestPlanHashLeavesTheConfigurationOut: the same file gives the same plan
// hash whatever the configuration (the ENKASH_* company, account and
// reference spelling, present or not); a company or account the file
// itself gives does enter it. v1, kept for runs recorded then, took them.
func TestPlanHashLeavesTheConfigurationOut(t *testing.T) {
	t.Parallel()
	base := csvOf(header, row(nil))
	configured := Options{CompanyID: "CMP1", CardAccountID: "ACC1", Extra: []string{"referenceField=both"}}
	_, bare := scan(t, base, Options{})
	_, withConfig := scan(t, base, configured)
	assert.Equal(t, bare.Hash, withConfig.Hash)

	withCol := strings.Replace(base, "\n", ",companyId\n", 1)
	withCol = strings.TrimSuffix(withCol, "\n") + ",CMP1\n"
	_, own := scan(t, withCol, Options{})
	require.Equal(t, 1, own.Valid)
	assert.NotEqual(t, bare.Hash, own.Hash, "the file's own company is part of what it asks")

	v1 := configured
	v1.PlanV1 = true
	_, old := scan(t, base, v1)
	_, oldBare := scan(t, base, Options{PlanV1: true})
	assert.NotEqual(t, old.Hash, oldBare.Hash, "v1 took the configuration")
	assert.NotEqual(t, old.Hash, withConfig.Hash)
}

func ptr[T any](v T) *T { return &v }

func FuzzValidate(f *testing.F) {
	f.Add(csvOf(header, row(nil), row(map[string]string{"mobile": "9.8E+09"})))
	f.Add("\xef\xbb\xbfName;Amount;Ref\nA;1,5;R\n")
	f.Add("loadAmount,ref,cardId,operation\n5,R1,EKC1,debit\n5,R1,,topup\n")
	f.Add("loadAmount,ref,cardId,operation,repeat\n5,R1,EKC1,topup,\n5,R2,EKC1,topup,bonus\n5,R1,EKC1,topup,\n7,R1,EKC1,topup,\n")
	f.Fuzz(func(t *testing.T, text string) {
		for _, opts := range []Options{{}, {BatchID: "B1"}, {AllowRepeats: true, Strict: true, SpillAt: 2}} {
			n := 0
			collect := func(*reward.Item) error { n++; return nil }
			p, err := Stream(context.Background(), "f.csv", strings.NewReader(text), opts, nil, collect)
			if err != nil {
				return
			}
			for pass := 2; p.Validator.NeedsSecondPass(); pass++ {
				if pass > 3 {
					t.Fatalf("a fourth pass was asked for")
				}
				n = 0
				if p, err = Stream(context.Background(), "f.csv", strings.NewReader(text), opts, p.Validator.Knowledge(), collect); err != nil {
					t.Fatalf("pass %d failed where the first did not: %v", pass, err)
				}
			}
			if p.Plan.RowsRead != p.Plan.Valid+p.Plan.Invalid || p.Plan.RowsRead != n {
				t.Fatalf("rows read %d, valid %d, invalid %d, items %d", p.Plan.RowsRead, p.Plan.Valid, p.Plan.Invalid, n)
			}
		}
	})
}

func TestLengthLimits(t *testing.T) {
	t.Parallel()
	hdr := append(append([]string(nil), header...), "remarks")
	huge := strings.Repeat("A", 400<<10) // the reader refuses a record over 1 MB before the validator sees it
	items, _ := scan(t, csvOf(hdr,
		append(row(map[string]string{"firstName": huge, "title": huge}), "ok"),
		append(row(map[string]string{"uniqueReferenceNumber": "R2", "mobile": "9876500002", "email": "b@example.com",
			"firstName": strings.Repeat("n", 100)}), strings.Repeat("r", 251)),
		append(row(map[string]string{"uniqueReferenceNumber": "R3", "mobile": "9876500003", "email": "c@example.com"}), strings.Repeat("r", 250)),
	), Options{})
	require.Len(t, items, 3)
	clipped := strings.Repeat("A", 80) + "... (409600 characters in all)"
	assert.Equal(t, []string{
		"error line 2, column C (firstName): the firstName is 409600 characters long; EnKash takes at most 100. Fix: shorten it to at most 100 characters",
		`error line 2, column D (title): the title "` + clipped + `" is not accepted by EnKash. Fix: use Mr, Mrs or Ms`,
		"error line 3, column J (remarks): the remarks is 251 characters long; EnKash takes at most 250. Fix: shorten it to at most 250 characters",
	}, issueTexts(items))
	for _, is := range items[0].Issues {
		assert.LessOrEqual(t, len(is.Value), 120, "a value in a report is clipped")
		assert.LessOrEqual(t, len(is.Problem), 300, "a message stays short")
	}
	assert.True(t, items[2].Valid, "values at the limit pass")
}
