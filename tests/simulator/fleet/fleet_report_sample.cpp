// The report tests' helper program (check_html_report.py, scrape_metrics.py):
//   fleet_report_sample html NAME OUT.json OUT.html   writes a sample report and its page
//   fleet_report_sample serve NAME OUT.json           writes the report, serves prometheus_text
//                                                     of it on 127.0.0.1 (a free port), prints
//                                                     "port N", and stops when stdin closes
// NAME is a sample of fleet_report_samples.hpp (full, empty, partial, hostile).
#include "fleet_report_samples.hpp"
#include "fota/sim/fleet_html.hpp"
#include "fota/sim/fleet_prometheus.hpp"
#include "fota/sim/metrics_server.hpp"

#include <fstream>
#include <iostream>
#include <string>

namespace {

using namespace fota::sim::fleet;

bool write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    out.close();
    if (!out) {
        std::cerr << "fleet_report_sample: cannot write " << path << "\n";
        return false;
    }
    return true;
}

int serve(const FleetReport& report) {
    MetricsServer server({}, [&report] { return prometheus_text(report); });
    std::cout << "port " << server.port() << std::endl;
    std::string line;
    while (std::getline(std::cin, line)) {
    }
    server.stop();
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (!((mode == "html" && argc == 5) || (mode == "serve" && argc == 4))) {
        std::cerr << "usage: fleet_report_sample html NAME OUT.json OUT.html\n"
                     "       fleet_report_sample serve NAME OUT.json\n";
        return 2;
    }
    try {
        const FleetReport report = test::sample_report(argv[2]);
        const auto json_text =
            report.to_json().dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
        if (!write_file(argv[3], json_text + "\n")) {
            return 1;
        }
        if (mode == "html") {
            return write_file(argv[4], render_html(report)) ? 0 : 1;
        }
        return serve(report);
    } catch (const std::exception& error) {
        std::cerr << "fleet_report_sample: " << error.what() << "\n";
        return 1;
    }
}
