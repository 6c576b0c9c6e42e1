package main

import (
	"fmt"

	"github.com/BurntSushi/toml"
)

// Settings tune the demo. A bad settings file is not fatal: the defaults do.
type Settings struct {
	Retries int `toml:"retries"`
}

func defaultSettings() Settings { return Settings{Retries: 3} }

// userSettings is a settings file with a mistake in it, as users write them:
// retries must be a number.
const userSettings = `retries = "three"`

// loadSettings parses the user's settings and falls back to the defaults when
// they are invalid. The parse error is handled here, not returned: the trace
// shows it as a handled error of this span.
func loadSettings() Settings {
	s, err := parseSettings(userSettings)
	if err != nil {
		fmt.Println("settings: invalid, using defaults")
		return defaultSettings()
	}
	return s
}

func parseSettings(text string) (Settings, error) {
	s := defaultSettings()
	if _, err := toml.Decode(text, &s); err != nil {
		return Settings{}, fmt.Errorf("parse settings: %w", err)
	}
	return s, nil
}
