"""`tally listen`: counting by ear, offline (issue 20).

The Board agent reads each ballot aloud; this package hears the calls in a
stream of audio and turns the ones it is sure of into the same events a key
press makes. Three pieces, each replaceable alone: `audio` reads 16 kHz
16-bit mono PCM (a WAV file or standard input) and refuses anything else in one
line; `grammar` makes the recogniser's grammar from the ballot (its calls and
a reject path for everything else said between them); `recogniser` splits the
stream into utterances and names each one a call, sure or unsure, or nothing.
`transcribe` is the headless use of all three. pocketsphinx (the `listen`
extra) is imported only here, and only when listening starts.
"""
