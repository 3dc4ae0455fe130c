// The one Catch2 main of the test binaries (kept alone: it is the slow header to compile).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
