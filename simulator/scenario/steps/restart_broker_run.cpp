// Step restart_broker, executed: the stack stops its broker and starts it again after down_for
// (parsed in restart_broker.cpp).
#include "runner/src/run_context.hpp"

namespace fota::sim::runner::steps {

bool run_restart_broker(RunContext& run, const RestartBrokerStep& restart, const Step&) {
    run.stack().restart_broker(restart.down_for);
    return true;
}

} // namespace fota::sim::runner::steps
