"""Network edges of Dirigent (OSC, MIDI); filled by the daemon issue. No DSP or SQL here."""
