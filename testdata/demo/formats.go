package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/BurntSushi/toml"
	"go.yaml.in/yaml/v3"
)

// document is what the demo dumps and parses in each format. TOML wants a
// table at the top, so the users are a field rather than the whole document.
type document struct {
	Users []User `json:"users" yaml:"users" toml:"users"`
}

// roundTrips dumps users as YAML, TOML and JSON, parses each dump back,
// checks that nothing was lost, and returns the three dumps.
func roundTrips(users []User) ([]string, error) {
	in := document{Users: users}
	var docs []string

	y, err := dumpYAML(in)
	if err != nil {
		return nil, err
	}
	if err := check("yaml", y, in, parseYAML); err != nil {
		return nil, err
	}
	docs = append(docs, string(y))

	t, err := dumpTOML(in)
	if err != nil {
		return nil, err
	}
	if err := check("toml", t, in, parseTOML); err != nil {
		return nil, err
	}
	docs = append(docs, string(t))

	j, err := dumpJSON(in)
	if err != nil {
		return nil, err
	}
	if err := check("json", j, in, parseJSON); err != nil {
		return nil, err
	}
	docs = append(docs, string(j))
	return docs, nil
}

// check parses data and compares the result with want.
func check(format string, data []byte, want document, parse func([]byte) (document, error)) error {
	got, err := parse(data)
	if err != nil {
		return err
	}
	if !slices.Equal(got.Users, want.Users) {
		return fmt.Errorf("%s round trip changed the users: got %v, want %v", format, got.Users, want.Users)
	}
	fmt.Printf("%s: %d bytes, round trip ok\n", format, len(data))
	return nil
}

func dumpYAML(d document) ([]byte, error) {
	b, err := yaml.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("dump yaml: %w", err)
	}
	return b, nil
}

func parseYAML(b []byte) (document, error) {
	var d document
	if err := yaml.Unmarshal(b, &d); err != nil {
		return document{}, fmt.Errorf("parse yaml: %w", err)
	}
	return d, nil
}

func dumpTOML(d document) ([]byte, error) {
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(d); err != nil {
		return nil, fmt.Errorf("dump toml: %w", err)
	}
	return buf.Bytes(), nil
}

func parseTOML(b []byte) (document, error) {
	var d document
	if err := toml.Unmarshal(b, &d); err != nil {
		return document{}, fmt.Errorf("parse toml: %w", err)
	}
	return d, nil
}

func dumpJSON(d document) ([]byte, error) {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("dump json: %w", err)
	}
	return b, nil
}

func parseJSON(b []byte) (document, error) {
	var d document
	if err := json.Unmarshal(b, &d); err != nil {
		return document{}, fmt.Errorf("parse json: %w", err)
	}
	return d, nil
}
