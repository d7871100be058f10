// The log line convention users grep for:
//   YYYY-MM-DD HH:MM:SS LEVEL action: <name> | result: success|fail|in_progress | key: value | ...
// One line per event, written whole (thread-safe) to stdout and flushed, so `docker logs` sees it.
#pragma once

#include <QByteArray>
#include <QString>
#include <QStringView>

#include <optional>

namespace lottery {

enum class LogLevel { Debug = 0, Info = 1, Warning = 2, Error = 3 };

// Accepts the course's names (DEBUG, INFO, WARNING/WARN, ERROR, CRITICAL), any case.
std::optional<LogLevel> parseLogLevel(QStringView text);
QString toString(LogLevel level);

void setLogLevel(LogLevel level);
LogLevel logLevel();
// Off: no line is written at all (agency-cli when a person watches its progress bar on the
// terminal the log would write to).
void setLogOutputEnabled(bool enabled);

enum class LogResult { Success, Fail, InProgress };

// Builds one log line and writes it when it goes out of scope:
//   LogLine(LogLevel::Info, "apuesta_recibida", LogResult::Success).field("cantidad", 120);
class LogLine
{
public:
    LogLine(LogLevel level, QStringView action, LogResult result);
    ~LogLine();
    LogLine(const LogLine &) = delete;
    LogLine &operator=(const LogLine &) = delete;

    LogLine &field(QStringView key, QStringView value);
    LogLine &field(QStringView key, const QString &value) { return field(key, QStringView(value)); }
    LogLine &field(QStringView key, const char *value); // UTF-8
    LogLine &field(QStringView key, long long value);
    LogLine &field(QStringView key, unsigned long long value);
    LogLine &field(QStringView key, int value) { return field(key, static_cast<long long>(value)); }
    LogLine &field(QStringView key, unsigned value)
    {
        return field(key, static_cast<unsigned long long>(value));
    }
    LogLine &field(QStringView key, long value)
    {
        return field(key, static_cast<long long>(value));
    }
    LogLine &field(QStringView key, unsigned long value)
    {
        return field(key, static_cast<unsigned long long>(value));
    }
    LogLine &field(QStringView key, double value);

private:
    // Appends " | key: " to a line that is written; false for one that is not.
    bool startField(QStringView key);

    bool m_enabled;
    LogLevel m_level;
    QByteArray m_text; // UTF-8, from "action: " on
};

// Within its scope the lines this thread logs are collected and written together when it ends:
// one write for a burst of lines (the acknowledgements of one worker's result, say) instead of a
// write and a flush each. Lines stay whole and in order; nothing is held past the scope. Nests.
class LogBurst
{
public:
    LogBurst();
    ~LogBurst();
    LogBurst(const LogBurst &) = delete;
    LogBurst &operator=(const LogBurst &) = delete;

private:
    bool m_outermost;
};

inline LogLine logInfo(QStringView action, LogResult result)
{
    return LogLine(LogLevel::Info, action, result);
}

// Convenience for the common cases; the returned line is written at the end of the statement.
#define LOTTERY_LOG_SUCCESS(action)                                                                \
    ::lottery::LogLine(::lottery::LogLevel::Info, u"" action, ::lottery::LogResult::Success)
#define LOTTERY_LOG_FAIL(action)                                                                   \
    ::lottery::LogLine(::lottery::LogLevel::Error, u"" action, ::lottery::LogResult::Fail)
#define LOTTERY_LOG_PROGRESS(action)                                                               \
    ::lottery::LogLine(::lottery::LogLevel::Info, u"" action, ::lottery::LogResult::InProgress)

} // namespace lottery
