#include "proxy/session/deadline.hpp"

#include "proxy/net.hpp"

namespace portico {

Deadline::Deadline(const Executor& executor) : state_(std::make_shared<State>(executor)) {}

Deadline::~Deadline() {
  if (state_) {  // null once moved from
    state_->closed = true;
    state_->timer.cancel();
  }
}

void Deadline::expires_after(Clock::duration timeout) {
  state_->expired = false;
  state_->deadline = Clock::now() + timeout;
  if (state_->deadline < state_->armed_for) {
    arm(state_);  // earlier than the pending wait (or none): wait for this one instead
  }
}

void Deadline::expires_never() {
  state_->expired = false;
  state_->deadline = Clock::time_point::max();
}

void Deadline::arm(const std::shared_ptr<State>& state) {
  state->armed_for = state->deadline;
  state->timer.expires_at(state->deadline);  // cancels a wait already pending
  state->timer.async_wait([state](const boost::system::error_code& ec) {
    if (state->closed || ec == boost::asio::error::operation_aborted) {
      return;  // the session is gone, or a later arm() replaced this wait
    }
    state->armed_for = Clock::time_point::max();
    if (state->deadline == Clock::time_point::max()) {
      return;
    }
    if (Clock::now() < state->deadline) {
      arm(state);  // the deadline moved on since this wait began
      return;
    }
    fire(*state);
  });
}

void Deadline::fire(State& state) {
  state.expired = true;
  for (auto* stream : state.streams) {
    if (stream != nullptr) {
      // Not the throwing overload: the socket may be closed already (an HTTP/2 connection's
      // lingering read deadline fires after the connection closed its socket).
      cancel_quietly(*stream);
    }
  }
  for (auto* channel : state.channels) {
    if (channel != nullptr) {
      channel->interrupt();
    }
  }
}

}  // namespace portico
