package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// User is what the local server serves and the demo passes around.
type User struct {
	Name  string `json:"name" yaml:"name" toml:"name"`
	Email string `json:"email" yaml:"email" toml:"email"`
	Age   int    `json:"age" yaml:"age" toml:"age"`
}

func sampleUsers() []User {
	return []User{
		{Name: "ada", Email: "ada@example.com", Age: 36},
		{Name: "grace", Email: "grace@example.com", Age: 45},
		{Name: "linus", Email: "", Age: 28}, // syncUsers rejects him
	}
}

// newMux serves users as JSON on /users.
func newMux(users []User) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/users", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(users); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	return mux
}

// fetchUsers gets the users from url.
func fetchUsers(ctx context.Context, url string) ([]User, error) {
	var users []User
	if err := getJSON(ctx, url, &users); err != nil {
		return nil, err
	}
	return users, nil
}

// getJSON decodes the JSON body of a GET of url into v.
func getJSON(ctx context.Context, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("new request: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("get %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("get %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("decode %s: %w", url, err)
	}
	return nil
}
