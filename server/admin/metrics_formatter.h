// Prometheus text exposition format 0.0.4: one # HELP and # TYPE per family, then its samples;
// label values escaped (backslash, double quote, newline). MetricsFormatter only writes the
// format; formatServerMetrics() decides which metrics the server exposes (docs/ADMIN.md).
#pragma once

#include "server/admin/admin_http.h"
#include "server/admin/process_metrics.h"
#include "server/admin/server_metrics.h"
#include "server/status_snapshot.h"

#include <QByteArray>
#include <QString>

#include <initializer_list>
#include <utility>

namespace lottery::server {

class MetricsFormatter
{
public:
    using Labels = std::initializer_list<std::pair<const char *, QString>>;

    static constexpr const char *kContentType = "text/plain; version=0.0.4; charset=utf-8";

    // Starts a family: type is counter, gauge, histogram or untyped.
    void family(const char *name, const char *type, const char *help);
    void sample(const char *name, Labels labels, double value);
    void sample(const char *name, Labels labels, quint64 value);
    void sample(const char *name, double value) { sample(name, {}, value); }
    void sample(const char *name, quint64 value) { sample(name, {}, value); }
    // A whole histogram: `bounds` ascending, `counts` per bucket (not cumulative), `overflow`
    // the observations above the last bound.
    void histogram(const char *name, const double *bounds, const quint64 *counts,
        std::size_t buckets, quint64 overflow, double sum);

    const QByteArray &text() const { return m_text; }

    static QByteArray escapeLabelValue(const QString &value);
    static QByteArray formatDouble(double value);

private:
    void writeLabels(Labels labels, const char *extraName = nullptr,
        const QByteArray &extraValue = QByteArray());

    QByteArray m_text;
};

// `admin`: the console's own connections and refusals (the admin thread's counts).
QByteArray formatServerMetrics(const StatusSnapshot &status, const ServerMetrics::Snapshot &metrics,
    const ProcessMetrics &process, quint64 storageBytes, const AdminHttpStats &admin = {});

} // namespace lottery::server
