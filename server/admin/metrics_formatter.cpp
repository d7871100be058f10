#include "server/admin/metrics_formatter.h"

#include <QList>

#include <algorithm>
#include <cmath>

namespace lottery::server {

void MetricsFormatter::family(const char *name, const char *type, const char *help)
{
    m_text += "# HELP ";
    m_text += name;
    m_text += ' ';
    // HELP text escapes backslash and newline only.
    QByteArray escaped(help);
    escaped.replace("\\", "\\\\").replace("\n", "\\n");
    m_text += escaped;
    m_text += "\n# TYPE ";
    m_text += name;
    m_text += ' ';
    m_text += type;
    m_text += '\n';
}

QByteArray MetricsFormatter::escapeLabelValue(const QString &value)
{
    QByteArray out;
    const QByteArray utf8 = value.toUtf8();
    out.reserve(utf8.size());
    for (const char c : utf8) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

QByteArray MetricsFormatter::formatDouble(double value)
{
    if (std::isnan(value))
        return QByteArrayLiteral("NaN");
    if (std::isinf(value))
        return value > 0 ? QByteArrayLiteral("+Inf") : QByteArrayLiteral("-Inf");
    return QByteArray::number(value, 'g', 15);
}

void MetricsFormatter::writeLabels(
    Labels labels, const char *extraName, const QByteArray &extraValue)
{
    if (labels.size() == 0 && !extraName)
        return;
    m_text += '{';
    bool first = true;
    for (const auto &[name, value] : labels) {
        if (!first)
            m_text += ',';
        first = false;
        m_text += name;
        m_text += "=\"";
        m_text += escapeLabelValue(value);
        m_text += '"';
    }
    if (extraName) {
        if (!first)
            m_text += ',';
        m_text += extraName;
        m_text += "=\"";
        m_text += extraValue;
        m_text += '"';
    }
    m_text += '}';
}

void MetricsFormatter::sample(const char *name, Labels labels, double value)
{
    m_text += name;
    writeLabels(labels);
    m_text += ' ';
    m_text += formatDouble(value);
    m_text += '\n';
}

void MetricsFormatter::sample(const char *name, Labels labels, quint64 value)
{
    m_text += name;
    writeLabels(labels);
    m_text += ' ';
    m_text += QByteArray::number(value);
    m_text += '\n';
}

void MetricsFormatter::histogram(const char *name, const double *bounds, const quint64 *counts,
    std::size_t buckets, quint64 overflow, double sum)
{
    const QByteArray bucketName = QByteArray(name) + "_bucket";
    quint64 cumulative = 0;
    for (std::size_t i = 0; i < buckets; ++i) {
        cumulative += counts[i];
        m_text += bucketName;
        writeLabels({}, "le", formatDouble(bounds[i]));
        m_text += ' ';
        m_text += QByteArray::number(cumulative);
        m_text += '\n';
    }
    cumulative += overflow;
    m_text += bucketName;
    writeLabels({}, "le", "+Inf");
    m_text += ' ';
    m_text += QByteArray::number(cumulative);
    m_text += '\n';
    m_text += name;
    m_text += "_sum ";
    m_text += formatDouble(sum);
    m_text += "\n";
    m_text += name;
    m_text += "_count ";
    m_text += QByteArray::number(cumulative);
    m_text += '\n';
}

QByteArray formatServerMetrics(const StatusSnapshot &status, const ServerMetrics::Snapshot &metrics,
    const ProcessMetrics &process, quint64 storageBytes, const AdminHttpStats &admin)
{
    MetricsFormatter out;
    QList<quint32> agencies = metrics.agencies.keys();
    std::sort(agencies.begin(), agencies.end());

    out.family("lottery_bets_stored_total", "counter",
        "Bets durably stored per agency (those recovered at start included).");
    for (quint32 agency : agencies) {
        out.sample("lottery_bets_stored_total", {{"agency", QString::number(agency)}},
            metrics.agencies.value(agency).betsStored);
    }
    out.family("lottery_batches_total", "counter",
        "BATCH frames handled since start, by result (stored, duplicate resend, rejected, "
        "malformed, stopped by shutdown).");
    for (int i = 0; i < ServerMetrics::kBatchResults; ++i) {
        out.sample("lottery_batches_total",
            {{"result", ServerMetrics::toString(static_cast<ServerMetrics::BatchResult>(i))}},
            metrics.batches[static_cast<std::size_t>(i)]);
    }
    out.family("lottery_batch_rejections_total", "counter",
        "Batches refused with REJECT since start, by protocol error code.");
    for (auto it = metrics.rejectionsByCode.cbegin(); it != metrics.rejectionsByCode.cend(); ++it)
        out.sample("lottery_batch_rejections_total", {{"code", it.key()}}, it.value());
    out.family("lottery_session_errors_total", "counter",
        "ERROR frames sent to peers (each closes its connection) since start, by code.");
    for (auto it = metrics.errorsByCode.cbegin(); it != metrics.errorsByCode.cend(); ++it)
        out.sample("lottery_session_errors_total", {{"code", it.key()}}, it.value());
    out.family("lottery_peer_limit_total", "counter",
        "Times a peer ran into a server limit since start, by limit (docs/SECURITY.md, every peer "
        "bounded): answers not read, GET_WINNERS repeated, an upload slot given back idle or "
        "parked, the token-check queue full, a token check skipped for a closed connection.");
    for (int i = 0; i < kPeerLimits; ++i) {
        out.sample("lottery_peer_limit_total", {{"limit", toString(static_cast<PeerLimit>(i))}},
            metrics.peerLimits[static_cast<std::size_t>(i)]);
    }
    out.family("lottery_log_lines_suppressed_total", "counter",
        "Log lines a peer could trigger at will that were rate-limited away since start, by "
        "action (each suppression is reported by an action: log_rate_limited line).");
    for (auto it = metrics.logLinesSuppressed.cbegin(); it != metrics.logLinesSuppressed.cend();
         ++it)
        out.sample("lottery_log_lines_suppressed_total", {{"action", it.key()}}, it.value());

    out.family("lottery_commit_duration_seconds", "histogram",
        "Time a worker task takes to validate, write and fdatasync its batches (one group "
        "commit), until they may be acknowledged.");
    const ServerMetrics::Histogram &commit = metrics.commit;
    quint64 inBuckets = 0;
    for (quint64 count : commit.buckets)
        inBuckets += count;
    out.histogram("lottery_commit_duration_seconds", ServerMetrics::kCommitBuckets.data(),
        commit.buckets.data(), commit.buckets.size(), commit.count - inBuckets, commit.sum);

    out.family("lottery_sessions", "gauge", "Open agency connections by state.");
    out.sample("lottery_sessions", {{"state", QStringLiteral("handshake")}},
        static_cast<quint64>(status.sessionsHandshake));
    out.sample("lottery_sessions", {{"state", QStringLiteral("active")}},
        static_cast<quint64>(status.sessionsActive));
    out.sample("lottery_sessions", {{"state", QStringLiteral("waiting_for_draw")}},
        static_cast<quint64>(status.sessionsWaitingForDraw));
    out.family("lottery_tasks_in_flight", "gauge", "Batch and DONE tasks in the worker pool.");
    out.sample("lottery_tasks_in_flight", static_cast<quint64>(status.tasksInFlight));
    out.family("lottery_upload_slots_in_use", "gauge",
        "Sessions reading batches now (at most SERVER_UPLOAD_SLOTS).");
    out.sample("lottery_upload_slots_in_use", static_cast<quint64>(status.uploadSlotsInUse));
    out.family("lottery_upload_slots_waiting", "gauge",
        "Sessions whose batches wait in the kernel for an upload slot.");
    out.sample("lottery_upload_slots_waiting", static_cast<quint64>(status.uploadSlotsWaiting));
    out.family("lottery_upload_buffer_bytes", "gauge",
        "Read buffer reserved by the sessions reading batches now.");
    out.sample("lottery_upload_buffer_bytes", static_cast<quint64>(status.uploadBufferBytes));
    out.family("lottery_upload_buffer_limit_bytes", "gauge",
        "The most they may reserve together (SERVER_UPLOAD_BUFFER_MB).");
    out.sample(
        "lottery_upload_buffer_limit_bytes", static_cast<quint64>(status.uploadBufferLimitBytes));
    out.family("lottery_token_checks_pending", "gauge",
        "HELLOs waiting for or in their token check (at most the token-check queue limit).");
    out.sample("lottery_token_checks_pending", static_cast<quint64>(status.tokenChecksPending));

    quint64 done = 0;
    for (const ServerMetrics::Agency &agency : metrics.agencies)
        done += agency.done ? 1 : 0;
    out.family(
        "lottery_agencies_expected", "gauge", "Agencies that must send DONE before the draw.");
    out.sample("lottery_agencies_expected", static_cast<quint64>(status.agenciesExpected));
    out.family("lottery_agencies_done", "gauge", "Agencies whose DONE is durably recorded.");
    out.sample("lottery_agencies_done", done);
    out.family("lottery_agencies_disabled", "gauge",
        "Agencies the operator disabled (their HELLO is refused; their stored bets stay).");
    out.sample("lottery_agencies_disabled", static_cast<quint64>(status.disabledAgencies.size()));
    out.family("lottery_draw_completed", "gauge", "1 once the draw has completed, else 0.");
    out.sample("lottery_draw_completed",
        static_cast<quint64>(metrics.draw == ServerMetrics::DrawState::Completed ? 1 : 0));
    out.family("lottery_draw_winners", "gauge", "Winning bets found by the draw (0 before it).");
    out.sample("lottery_draw_winners", metrics.drawWinners);
    out.family("lottery_storage_bytes", "gauge", "Size of bets.csv and its journal.");
    out.sample("lottery_storage_bytes", storageBytes);
    out.family("lottery_storage_failed", "gauge",
        "1 after a storage failure (the server refuses every later write), else 0.");
    out.sample(
        "lottery_storage_failed", static_cast<quint64>(metrics.storageFailure.isEmpty() ? 0 : 1));
    out.family("lottery_up", "gauge", "1 while the server takes agencies (not shutting down).");
    out.sample("lottery_up", static_cast<quint64>(status.shuttingDown ? 0 : 1));

    out.family("lottery_admin_connections", "gauge",
        "Open connections to the admin endpoint (TLS handshakes included).");
    out.sample("lottery_admin_connections", static_cast<quint64>(admin.connections));
    out.family("lottery_admin_connections_limit", "gauge",
        "The most admin connections open at once; more are refused.");
    out.sample("lottery_admin_connections_limit", static_cast<quint64>(admin.maxConnections));
    out.family("lottery_admin_requests_total", "counter",
        "Admin requests read whole and answered by a route (any status).");
    out.sample("lottery_admin_requests_total", admin.requests);
    out.family("lottery_admin_requests_refused_total", "counter",
        "Admin connections refused or closed by a limit, by reason (header_too_large 431, "
        "body_too_large 413, malformed 400, request_timeout 408, idle_timeout, write_timeout, "
        "connection_limit 503).");
    for (int i = 0; i < kAdminRefusals; ++i) {
        out.sample("lottery_admin_requests_refused_total",
            {{"reason", QString::fromLatin1(toString(static_cast<AdminRefusal>(i)))}},
            admin.refused[static_cast<std::size_t>(i)]);
    }

    out.family(
        "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.");
    out.sample("process_cpu_seconds_total", process.cpuSeconds);
    out.family("process_start_time_seconds", "gauge",
        "Start time of the process since unix epoch in seconds.");
    out.sample("process_start_time_seconds", static_cast<double>(metrics.startedAtMs) / 1000.0);
    if (process.residentBytes >= 0) {
        out.family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
        out.sample("process_resident_memory_bytes", static_cast<quint64>(process.residentBytes));
    }
    if (process.virtualBytes >= 0) {
        out.family("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
        out.sample("process_virtual_memory_bytes", static_cast<quint64>(process.virtualBytes));
    }
    if (process.openFds >= 0) {
        out.family("process_open_fds", "gauge", "Number of open file descriptors.");
        out.sample("process_open_fds", static_cast<quint64>(process.openFds));
    }
    if (process.maxFds >= 0) {
        out.family("process_max_fds", "gauge", "Maximum number of open file descriptors.");
        out.sample("process_max_fds", static_cast<quint64>(process.maxFds));
    }
    return out.text();
}

} // namespace lottery::server
