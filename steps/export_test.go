package steps

// WrongAnswer is a wrong answer of the tests, for the external tests that
// check the answers for real.
type WrongAnswer struct{ Name, Policy, Shows string }

// WrongAnswers are a challenge's wrong answers in context c.
func WrongAnswers(id int, c ChallengeContext) []WrongAnswer {
	var out []WrongAnswer
	for _, w := range wrongAnswers[id] {
		shows := w.shows
		if w.liveShows != "" {
			shows = w.liveShows
		}
		out = append(out, WrongAnswer{Name: w.name, Policy: w.policy(c), Shows: shows})
	}
	return out
}

// EnvironmentItems are preflight's lines about the place.
func (l *Lab) EnvironmentItems() []CheckItem { return l.environmentItems() }
