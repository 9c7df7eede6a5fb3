package sandbox

import (
	"fmt"

	"github.com/rewardbatch/rewardbatch/pkg/money"
)

// Card is a reward card that exists before the sandbox starts, so that a
// file can top up or debit a known enKashCardId.
type Card struct {
	ID, Email, Mobile, FirstName, Title, Gender string
	Balance                                     money.Amount
}

// DemoCards returns the forty cards `rewardbatch sandbox` and
// `rewardbatch run --sandbox` start with: EKC1000001 to EKC1000040, each
// holding 5000 points, for employee1@example.com ... employee40@example.com
// with mobiles 9000000001 ... 9000000040.
func DemoCards() []Card {
	cards := make([]Card, 40)
	for i := range cards {
		n := i + 1
		title, gender := "Mr", "M"
		if n%2 == 0 {
			title, gender = "Ms", "F"
		}
		cards[i] = Card{
			ID: fmt.Sprintf("EKC%07d", 1000000+n), Email: fmt.Sprintf("employee%d@example.com", n),
			Mobile: fmt.Sprintf("90000000%02d", n), FirstName: fmt.Sprintf("Employee %d", n), Title: title, Gender: gender,
			Balance: money.FromHundredths(5000_00),
		}
	}
	return cards
}

// seed adds pre-existing cards to the book; their points are already on
// the cards and do not come out of the account's balance.
func (b *book) seed(cards []Card) {
	for _, c := range cards {
		cd := &card{id: c.ID, userID: "EKU" + c.ID[3:], email: c.Email, mobile: c.Mobile, title: c.Title,
			firstName: c.FirstName, gender: c.Gender, otb: c.Balance}
		b.add(cd)
	}
}
