package sandbox_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rewardbatch/rewardbatch/pkg/sandbox"
)

// page is either paged shape, read loosely.
type page struct {
	RecordsCount  *int       `json:"recordsCount"`
	TotalPages    int        `json:"totalPages"`
	PageNumber    *int       `json:"pageNumber"`
	Data          []listItem `json:"data"`
	Content       []listItem `json:"content"`
	TotalElements *int       `json:"totalElements"`
	Number        *int       `json:"number"`
	Last          *bool      `json:"last"`
}

func (a answer) page(t testing.TB) page {
	t.Helper()
	var p page
	require.NoError(t, json.Unmarshal(a.Payload, &p), "%s", a.Body)
	return p
}

func TestPagedLookups(t *testing.T) {
	t.Parallel()
	for _, style := range []string{sandbox.PageRecords, sandbox.PageSpring} {
		t.Run(style, func(t *testing.T) {
			t.Parallel()
			r := startRaw(t, sandbox.Options{PageSize: 2, PageStyle: style, Duplicates: sandbox.DuplicateApplyAgain})
			var card string
			for range 5 {
				card = r.allocate("PG1", "9876500601", "1").cardOf(t)
			}
			require.Len(t, r.ground(), 5)
			first := 1
			if style == sandbox.PageSpring {
				first = 0
			}
			wantSizes := []int{2, 2, 1, 0}
			for i, want := range wantSizes {
				k := first + i
				extra := map[string]any{"pageNumber": k, "pageSize": 100}
				if style == sandbox.PageSpring {
					extra = map[string]any{"page": k, "size": 100}
				}
				p := r.lookup("PG1", card, extra).page(t)
				assert.Equal(t, 3, p.TotalPages)
				if style == sandbox.PageSpring {
					assert.Len(t, p.Content, want, "page %d", k)
					assert.Equal(t, 5, *p.TotalElements)
					assert.Equal(t, k, *p.Number)
					assert.Equal(t, i >= 2, *p.Last, "page %d", k)
					assert.Nil(t, p.Data)
				} else {
					assert.Len(t, p.Data, want, "page %d: the server's page size wins", k)
					assert.Equal(t, 5, *p.RecordsCount, "recordsCount counts every page")
					assert.Equal(t, k, *p.PageNumber)
					assert.Nil(t, p.Content)
				}
			}
			p := r.lookup("PG1", card, nil).page(t)
			assert.Len(t, append(p.Data, p.Content...), 2, "no page asked: the first")
		})
	}
}

func TestSearchListsCardsPagedAndFiltered(t *testing.T) {
	t.Parallel()
	r := startRaw(t, sandbox.Options{Cards: sandbox.DemoCards(), PageSize: 15})
	var emails []string
	for k := 1; k <= 3; k++ {
		p := r.search(map[string]any{"pageNumber": k}).page(t)
		assert.Equal(t, 40, *p.RecordsCount)
		assert.Equal(t, 3, p.TotalPages)
		for _, u := range p.Data {
			emails = append(emails, u.Email)
		}
	}
	require.Len(t, emails, 40)
	assert.Equal(t, "employee1@example.com", emails[0], "cards come in a stable order")
	assert.Equal(t, "employee40@example.com", emails[39])

	byEmail := r.search(map[string]any{"email": "employee7@example.com"}).page(t)
	require.Len(t, byEmail.Data, 1)
	assert.Equal(t, "EKC1000007", byEmail.Data[0].EnKashCardID)
	byMobile := r.search(map[string]any{"mobile": "9000000012"}).page(t)
	require.Len(t, byMobile.Data, 1)
	assert.Equal(t, "employee12@example.com", byMobile.Data[0].Email)
	assert.Empty(t, r.search(map[string]any{"email": "nobody@example.com"}).page(t).Data)
}

// TestBareListPages: array answers the page asked for as a bare list with
// no counts; first-page answers the first page whatever is asked, so its
// first page cannot be told from a whole list. A filtered search still
// finds its one card in both.
func TestBareListPages(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		style string
		want  []string // the first e-mail of pages 1, 2 and 5
	}{
		{sandbox.PageArray, []string{"employee1@example.com", "employee16@example.com", ""}},
		{sandbox.PageFirst, []string{"employee1@example.com", "employee1@example.com", "employee1@example.com"}},
	} {
		t.Run(tt.style, func(t *testing.T) {
			t.Parallel()
			r := startRaw(t, sandbox.Options{Cards: sandbox.DemoCards(), PageSize: 15, PageStyle: tt.style})
			for i, k := range []int{1, 2, 5} {
				a := r.search(map[string]any{"pageNumber": k})
				var items []listItem
				require.NoError(t, json.Unmarshal(a.Payload, &items), "a bare list: %s", a.Body)
				first := ""
				if len(items) > 0 {
					first = items[0].Email
				}
				assert.Equal(t, tt.want[i], first, "page %d", k)
			}
			var one []listItem
			require.NoError(t, json.Unmarshal(r.search(map[string]any{"email": "employee7@example.com"}).Payload, &one))
			require.Len(t, one, 1)
			assert.Equal(t, "EKC1000007", one[0].EnKashCardID)
		})
	}
}

// TestListDrift: with ListDrift the listing of every user moves its last
// user to the front after each page, so reading three pages of 15 by
// offset repeats users and skips others, while each page still counts 40;
// a filtered search is not affected.
func TestListDrift(t *testing.T) {
	t.Parallel()
	r := startRaw(t, sandbox.Options{Cards: sandbox.DemoCards(), PageSize: 15, ListDrift: true})
	seen := map[string]int{}
	for k := 1; k <= 3; k++ {
		p := r.search(map[string]any{"pageNumber": k}).page(t)
		assert.Equal(t, 40, *p.RecordsCount)
		for _, u := range p.Data {
			seen[u.Email]++
		}
	}
	assert.Equal(t, 2, seen["employee15@example.com"], "the last of page 1 comes again at the head of page 2")
	assert.Equal(t, 2, seen["employee29@example.com"], "and the last of page 2 at the head of page 3")
	assert.Len(t, seen, 38, "two users were skipped")
	assert.Zero(t, seen["employee39@example.com"]+seen["employee40@example.com"], "the last users moved to the front and were never read")
	one := r.search(map[string]any{"email": "employee7@example.com"}).page(t)
	require.Len(t, one.Data, 1)
}
