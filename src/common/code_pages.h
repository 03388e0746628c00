#pragma once
// Code that ran once (start-up) stops counting against the resident set.

#include <cstddef>

namespace astrolabe {

// Unmaps this process's pages of its own executable's code (the read-only, executable PT_LOAD
// segments of the main program) and returns freed heap to the kernel (malloc_trim). Code pages
// are clean and file-backed: the kernel keeps them in the page cache, and what still runs
// (scrape loops, HTTP, exporters) faults back in on its next call. What stays out is the code
// that ran once: config decoding, component construction, command-line parsing. Returns the
// bytes of code unmapped. Used once the pipelines run (app/collector.cc);
// docs/design/returning-memory.md
size_t ReleaseCodePages();

}  // namespace astrolabe
