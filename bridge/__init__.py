"""Network edges of Dirigent (OSC, MIDI): parse, check, route. No DSP or SQL here."""
