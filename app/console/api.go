// Package console holds the go-app components of the newsroom, the editors'
// console at /newsroom: sign-in, the list of articles, the compose and edit
// form with a live preview drawn by the widget's own components (app/ui).
// Like app/ui it does no I/O of its own: requests and the event stream go
// through an API, which the browser fills with fetch and EventSource and the
// server leaves nil (it renders the sign-in shell).
package console

import (
	"encoding/json"
	"strconv"

	"newswidget/app/news"
)

// Path is the route the console is mounted on.
const Path = "/newsroom"

// API is how the console talks to the server. Every callback runs on the
// browser's event loop; the console dispatches its results to the UI.
type API interface {
	// Do sends a request with body as JSON (nil: none) and calls done with
	// the response's status and body, or with err when none came.
	Do(method, path string, body any, done func(status int, body []byte, err error))
	// Subscribe calls changed with the event's name whenever the event
	// stream says an article was created, edited or deleted (an expiry
	// too): "article" or "delete"; "open" after a reconnect; "live" when
	// the back-off switch moved. Until stop.
	Subscribe(changed func(event string)) (stop func())
}

// User is who is signed in.
type User struct {
	Name string    `json:"name"`
	Role news.Role `json:"role"`
}

// Listing is what GET /api/newsroom answers: who is signed in, a page of
// the articles (the expired ones too, which the public no longer sees), who
// last wrote each, and the cursor of the next page.
type Listing struct {
	User     User              `json:"user"`
	Articles []news.Article    `json:"articles"`
	Editors  map[string]string `json:"editors"` // article id → name of its last writer
	Next     string            `json:"next"`    // the cursor of the page after this one, for ?before=; "" at the end
}

// apiError is the API's error body, {"error":{code,message,field}}.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
	} `json:"error"`
}

// readError decodes an error response into its field and message; a body
// that is not one becomes a message naming the status.
func readError(status int, body []byte) (field, message string) {
	var e apiError
	if json.Unmarshal(body, &e) != nil || e.Error.Message == "" {
		return "", "The server answered " + strconv.Itoa(status) + "."
	}
	return e.Error.Field, e.Error.Message
}
