#include "common/log.h"

#include <QDateTime>
#include <QMutex>
#include <QMutexLocker>

#include <algorithm>
#include <atomic>
#include <cstdio>

namespace lottery {

namespace {

std::atomic<int> g_level {static_cast<int>(LogLevel::Info)};
std::atomic<bool> g_outputEnabled {true};

QMutex &outputMutex()
{
    static QMutex mutex;
    return mutex;
}

const char *levelName(LogLevel level)
{
    switch (level) {
    case LogLevel::Debug: return "DEBUG";
    case LogLevel::Info: return "INFO";
    case LogLevel::Warning: return "WARNING";
    case LogLevel::Error: return "ERROR";
    }
    return "INFO";
}

const char *resultName(LogResult result)
{
    switch (result) {
    case LogResult::Success: return "success";
    case LogResult::Fail: return "fail";
    case LogResult::InProgress: return "in_progress";
    }
    return "fail";
}

// A value must never break the line's grammar: no separators, no line breaks.
QString sanitize(QStringView value)
{
    const auto breaksGrammar = [](QChar c) { return c == u'|' || c == u'\n' || c == u'\r'; };
    if (std::none_of(value.begin(), value.end(), breaksGrammar))
        return value.toString(); // nearly every value: one copy, no search-and-replace passes
    QString out = value.toString();
    out.replace(QLatin1Char('|'), QLatin1Char('/'));
    out.replace(QLatin1Char('\n'), QLatin1Char(' '));
    out.replace(QLatin1Char('\r'), QLatin1Char(' '));
    return out;
}

// "yyyy-MM-dd HH:mm:ss" of now, formatted once per second per thread: formatting local time
// asks the C library for the time zone (a stat of /etc/localtime per call), which cost one
// system call per log line.
const QByteArray &timestampNow()
{
    thread_local qint64 second = -1;
    thread_local QByteArray text;
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    if (now != second) {
        second = now;
        text = QDateTime::fromSecsSinceEpoch(now).toString(u"yyyy-MM-dd HH:mm:ss").toUtf8();
    }
    return text;
}

struct Burst {
    int depth = 0;
    QByteArray lines;
};

thread_local Burst t_burst;

void writeOut(const QByteArray &bytes)
{
    QMutexLocker locker(&outputMutex());
    std::fwrite(bytes.constData(), 1, static_cast<std::size_t>(bytes.size()), stdout);
    std::fflush(stdout);
}

} // namespace

LogBurst::LogBurst() : m_outermost(t_burst.depth++ == 0) { }

LogBurst::~LogBurst()
{
    --t_burst.depth;
    if (!m_outermost || t_burst.lines.isEmpty())
        return;
    writeOut(t_burst.lines);
    t_burst.lines.clear();
}

std::optional<LogLevel> parseLogLevel(QStringView text)
{
    const QString upper = text.trimmed().toString().toUpper();
    if (upper == u"DEBUG")
        return LogLevel::Debug;
    if (upper == u"INFO")
        return LogLevel::Info;
    if (upper == u"WARNING" || upper == u"WARN")
        return LogLevel::Warning;
    if (upper == u"ERROR" || upper == u"CRITICAL")
        return LogLevel::Error;
    return std::nullopt;
}

QString toString(LogLevel level)
{
    return QString::fromLatin1(levelName(level));
}

void setLogLevel(LogLevel level)
{
    g_level.store(static_cast<int>(level));
}

LogLevel logLevel()
{
    return static_cast<LogLevel>(g_level.load());
}

void setLogOutputEnabled(bool enabled)
{
    g_outputEnabled.store(enabled);
}

LogLine::LogLine(LogLevel level, QStringView action, LogResult result)
    : m_enabled(g_outputEnabled.load() && static_cast<int>(level) >= g_level.load()), m_level(level)
{
    if (!m_enabled)
        return;
    m_text.reserve(128);
    m_text += u"action: ";
    m_text += sanitize(action);
    m_text += u" | result: ";
    m_text += QLatin1String(resultName(result));
}

LogLine &LogLine::field(QStringView key, QStringView value)
{
    if (m_enabled) {
        m_text += u" | ";
        m_text += sanitize(key);
        m_text += u": ";
        m_text += sanitize(value);
    }
    return *this;
}

// The numbers are formatted only for a line that is written (DEBUG lines usually are not).
LogLine &LogLine::field(QStringView key, long long value)
{
    return m_enabled ? field(key, QString::number(value)) : *this;
}

LogLine &LogLine::field(QStringView key, unsigned long long value)
{
    return m_enabled ? field(key, QString::number(value)) : *this;
}

LogLine &LogLine::field(QStringView key, double value)
{
    return m_enabled ? field(key, QString::number(value, 'f', 3)) : *this;
}

LogLine::~LogLine()
{
    if (!m_enabled)
        return;
    const QByteArray line
        = timestampNow() + ' ' + levelName(m_level) + ' ' + m_text.toUtf8() + '\n';
    if (t_burst.depth > 0)
        t_burst.lines += line;
    else
        writeOut(line);
}

} // namespace lottery
