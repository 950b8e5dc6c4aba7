"""The MIDI bridge: controller knobs to mutation parameters (mapping file, MIDI learn, soft
takeover, 14-bit CC), pads to the last results; ports opened by name, re-opened when they
come back."""
