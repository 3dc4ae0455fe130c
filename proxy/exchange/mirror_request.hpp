#pragma once
// send_mirrors: the copies of a request that its route asks for: its RequestMirror filters
// (to an endpoint of the mirror's cluster) and mirror-target (to a URL, with the target and
// Host it sets). Each copy is the head the backend receives, sent on a coroutine of its own:
// the exchange never waits for it, and its answer is dropped. A request with a body is not
// mirrored (the body streams to the backend once and Portico keeps no copy of it), unless
// mirror-request-body is off (then its head is); that is counted, as are mirrors answered
// and failed.
#include "proxy/exchange/exchange.hpp"

namespace portico {

void send_mirrors(const ClientConnection& client, const Exchange& ex);

}  // namespace portico
