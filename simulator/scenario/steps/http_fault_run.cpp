// Step http_fault, executed: object-server faults for one firmware's object or for every object,
// or the object replaced by another image (parsed in http_fault.cpp).
#include "runner/src/run_context.hpp"

namespace fota::sim::runner::steps {

bool run_http_fault(RunContext& run, const HttpFaultStep& fault, const Step&) {
    using K = HttpFaultStep::Kind;
    std::vector<std::string> keys; // empty: every object
    if (!fault.firmware.empty()) {
        keys.push_back(object_key(run.scenario(), fault.firmware));
    }
    if (fault.kind == K::replace_object) {
        for (const std::string& key : keys) {
            run.stack().put_object(key, run.images().bytes.at(fault.replacement));
        }
        return true;
    }
    cloud::ObjectFault f;
    f.bucket = run.stack().bucket();
    f.count = fault.count == 0 ? -1 : static_cast<int>(fault.count);
    f.bytes = fault.bytes;
    f.bytes_per_second = fault.bytes_per_second;
    f.status = fault.status;
    f.duration = fault.duration;
    f.from_byte = fault.from;
    switch (fault.kind) {
    case K::close_after_bytes:
        f.kind = cloud::ObjectFault::Kind::close_after_bytes;
        break;
    case K::throttle:
        f.kind = cloud::ObjectFault::Kind::throttle;
        break;
    case K::error_status:
        f.kind = cloud::ObjectFault::Kind::error_status;
        break;
    case K::slow_down:
        f.kind = cloud::ObjectFault::Kind::error_status;
        f.status = 503;
        f.code = "SlowDown";
        break;
    case K::ignore_range:
        f.kind = cloud::ObjectFault::Kind::ignore_range;
        break;
    case K::wrong_content_range: {
        f.kind = cloud::ObjectFault::Kind::wrong_content_range;
        using E = HttpFaultStep::ContentRangeError;
        f.mismatch = fault.content_range == E::wrong_start   ? "start"
                     : fault.content_range == E::wrong_end   ? "end"
                     : fault.content_range == E::wrong_total ? "total"
                                                             : "star_total";
        break;
    }
    case K::stall:
        f.kind = cloud::ObjectFault::Kind::stall;
        break;
    case K::redirect:
        // To the object itself: a client that follows redirects would still get it.
        f.kind = cloud::ObjectFault::Kind::redirect;
        f.location = fault.firmware.empty()
                         ? run.stack().object_endpoint() + "/" + run.stack().bucket()
                         : run.published().at(fault.firmware).url;
        break;
    case K::refuse_connections:
        f.kind = cloud::ObjectFault::Kind::refuse_connections;
        f.bucket.clear(); // connections carry no object
        run.stack().add_object_fault(f);
        return true;
    case K::connection_close:
        f.kind = cloud::ObjectFault::Kind::connection_close;
        break;
    case K::long_header:
        f.kind = cloud::ObjectFault::Kind::long_header;
        break;
    case K::lowercase_headers:
        f.kind = cloud::ObjectFault::Kind::lowercase_headers;
        break;
    case K::replace_object:
        return true; // done above
    }
    if (keys.empty()) {
        run.stack().add_object_fault(f);
    }
    for (const std::string& key : keys) {
        f.key = key;
        run.stack().add_object_fault(f);
    }
    return true;
}

} // namespace fota::sim::runner::steps
