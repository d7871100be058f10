// docs/PROTOCOL.md is the contract a client is written from: this test reads its tables and quoted
// texts (message types, error codes, decode-error texts, bet-rule reasons and their order, the
// REJECT reason format, the limits) and checks the code against each, then checks the real
// lottery-server over a socket against the same texts, so the document and the program cannot
// drift apart.

#include "support/program_runner.h"
#include "support/wire_client.h"

#include "lottery/protocol/bet.h"
#include "lottery/protocol/codec.h"
#include "lottery/protocol/errors.h"
#include "lottery/protocol/limits.h"
#include "lottery/protocol/messages.h"

#include <QFile>
#include <QMap>
#include <QRegularExpression>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

using namespace lottery;
using namespace lottery::protocol;

namespace {

const CivilDate kToday {2024, 6, 1};

QString readDocument()
{
    QFile file(QStringLiteral(LOTTERY_SOURCE_DIR "/docs/PROTOCOL.md"));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(file.readAll());
}

// The text from the line that starts with `from` up to the next line that starts with `to`.
QString section(const QString &document, const QString &from, const QString &to)
{
    const qsizetype start = document.indexOf(QLatin1Char('\n') + from);
    if (start < 0)
        return {};
    const qsizetype end = document.indexOf(QLatin1Char('\n') + to, start + 1);
    return document.mid(start, end < 0 ? -1 : end - start);
}

// The rows (cells trimmed) of the first table in `text` whose header line starts with `header`.
QList<QStringList> tableRows(const QString &text, const QString &header)
{
    QList<QStringList> rows;
    bool inTable = false;
    for (const QString &line : text.split(QLatin1Char('\n'))) {
        if (!inTable) {
            inTable = line.startsWith(header);
            continue;
        }
        if (!line.startsWith(QLatin1Char('|')))
            break;
        QStringList cells = line.split(QLatin1Char('|'));
        cells = cells.mid(1, cells.size() - 2);
        for (QString &cell : cells)
            cell = cell.trimmed();
        if (!cells.isEmpty() && cells.front().startsWith(QLatin1String("--"))) // the ruler
            continue;
        if (!cells.isEmpty() && cells.front().startsWith(QLatin1String(":-")))
            continue;
        rows.append(cells);
    }
    return rows;
}

// The text of a cell that is exactly one code span; null otherwise.
QString code(const QString &cell)
{
    static const QRegularExpression span(QStringLiteral("^`([^`]*)`$"));
    const QRegularExpressionMatch match = span.match(cell);
    return match.hasMatch() ? match.captured(1) : QString();
}

// Every code span of a cell, in order.
QStringList codes(const QString &cell)
{
    static const QRegularExpression span(QStringLiteral("`([^`]*)`"));
    QStringList found;
    for (const QRegularExpressionMatch &match : span.globalMatch(cell))
        found << match.captured(1);
    return found;
}

// The code span right after `label` (e.g. "**REJECT(InvalidBet) reason:** ").
QString quotedAfter(const QString &document, const QString &label)
{
    const QString pattern = QRegularExpression::escape(label) + QStringLiteral("`([^`]+)`");
    const QRegularExpression after(pattern);
    return after.match(document).captured(1);
}

std::string hexBytes(const QString &text)
{
    return QByteArray::fromHex(text.toLatin1()).toStdString();
}

QString fromStd(const std::string &text)
{
    return QString::fromStdString(text);
}

// A documented message with <placeholders> as a pattern: the named ones replaced by their values
// (matched literally), the others by ".+".
QRegularExpression messagePattern(QString form, const QMap<QString, QString> &values)
{
    QString pattern = QRegularExpression::escape(form);
    for (auto it = values.cbegin(); it != values.cend(); ++it) {
        pattern.replace(QRegularExpression::escape(QLatin1Char('<') + it.key() + QLatin1Char('>')),
            QRegularExpression::escape(it.value()));
    }
    pattern.replace(QRegularExpression(QStringLiteral("\\\\<[a-z ]+\\\\>")), QStringLiteral(".+"));
    return QRegularExpression(QLatin1Char('^') + pattern + QLatin1Char('$'));
}

const QMap<QString, DecodeErrorKind> &decodeKinds()
{
    static const QMap<QString, DecodeErrorKind> kinds {
        {QStringLiteral("FrameTooLarge"), DecodeErrorKind::FrameTooLarge},
        {QStringLiteral("EmptyFrame"), DecodeErrorKind::EmptyFrame},
        {QStringLiteral("UnknownType"), DecodeErrorKind::UnknownType},
        {QStringLiteral("Truncated"), DecodeErrorKind::Truncated},
        {QStringLiteral("TrailingBytes"), DecodeErrorKind::TrailingBytes},
        {QStringLiteral("InvalidUtf8"), DecodeErrorKind::InvalidUtf8},
        {QStringLiteral("InvalidValue"), DecodeErrorKind::InvalidValue},
    };
    return kinds;
}

// One documented decode error: its example frame and what a receiver must report for it.
struct DecodeRow {
    QString kindName;
    QString text;
    int wireCode = 0;
    std::string frame;
    std::size_t offset = 0;
};

// Where a sample bet breaks a rule: one of the five fields.
enum class Slot { FirstName, LastName, Document, Birthdate, Number };

struct Sample {
    int rule = 0; // the rule number of the document's table
    Slot slot = Slot::FirstName;
    std::string text; // the field's value (for Number: unused)
    std::uint16_t number = 0;
    QString character; // <c> of rule 9
};

Bet validBet()
{
    return Bet {"Ana", "Pérez", "30904465", "1999-03-17", 7574};
}

void apply(Bet &bet, const Sample &sample)
{
    switch (sample.slot) {
    case Slot::FirstName: bet.firstName = sample.text; break;
    case Slot::LastName: bet.lastName = sample.text; break;
    case Slot::Document: bet.document = sample.text; break;
    case Slot::Birthdate: bet.birthdate = sample.text; break;
    case Slot::Number: bet.number = sample.number; break;
    }
}

// A name that breaks each name rule (1..10) and nothing else.
std::vector<std::pair<int, std::string>> nameSamples()
{
    return {
        {1, ""},
        {2, std::string(256, 'a')},
        {3, "P\xe9rez"},
        {4, "Ana\x01"},
        {5, "Ana\xc2\x85"},
        {6, "Ana\xe2\x80\xa8"},
        {7, "Ana "},
        {8,
            "\xef\xbb\xbf"
            "Ana"},
        {9, "=Ana"},
        {10, "Ana\xc2\xa0"},
    };
}

// A sample for every rule of the table: the name rules in both name fields.
std::vector<Sample> ruleSamples()
{
    std::vector<Sample> samples;
    for (const Slot slot : {Slot::FirstName, Slot::LastName}) {
        for (const auto &[rule, text] : nameSamples())
            samples.push_back(
                Sample {rule, slot, text, 0, rule == 9 ? QStringLiteral("=") : QString()});
        for (const char c : {'+', '-', '@'}) {
            samples.push_back(
                Sample {9, slot, std::string(1, c) + "Ana", 0, QString(QLatin1Char(c))});
        }
    }
    samples.push_back(Sample {11, Slot::Document, "", 0, {}});
    samples.push_back(Sample {12, Slot::Document, std::string(21, '1'), 0, {}});
    samples.push_back(Sample {13, Slot::Document, "30.904.465", 0, {}});
    samples.push_back(Sample {14, Slot::Birthdate, "2023-02-29", 0, {}});
    samples.push_back(Sample {14, Slot::Birthdate, "17/03/1999", 0, {}});
    samples.push_back(Sample {15, Slot::Birthdate, "1899-12-31", 0, {}});
    samples.push_back(Sample {16, Slot::Birthdate, "2024-06-02", 0, {}});
    samples.push_back(Sample {17, Slot::Number, {}, 10000, {}});
    return samples;
}

QString fieldName(Slot slot)
{
    return slot == Slot::FirstName ? QStringLiteral("first_name") : QStringLiteral("last_name");
}

} // namespace

class ProtocolDocTest : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void messageTypesAreTheCodes();
    void errorCodesAreTheCodes();
    void decodeErrorTextsAreTheCodes();
    void betReasonsAreWhatValidateBetSays();
    void betRulesAreCheckedInTheDocumentedOrder();
    void limitsAreTheCodes();
    void storedListExamplesDecode();
    void theServerSaysWhatTheDocumentSays();

private:
    // The bet rules' reason texts, by rule number.
    QMap<int, QString> betReasons();
    // The expected reason of a sample (placeholders filled).
    QString reasonFor(const Sample &sample);
    QList<DecodeRow> decodeRows();

    QString m_document;
};

void ProtocolDocTest::initTestCase()
{
    m_document = readDocument();
    QVERIFY2(!m_document.isEmpty(), "docs/PROTOCOL.md cannot be read");
}

void ProtocolDocTest::messageTypesAreTheCodes()
{
    const QString text
        = section(m_document, QStringLiteral("## 3. Message types"), QStringLiteral("## 4."));
    const QList<QStringList> rows = tableRows(text, QStringLiteral("| Type | Name"));
    QVERIFY(!rows.isEmpty());
    QSet<int> documented;
    for (const QStringList &row : rows) {
        bool ok = false;
        const int type = row.value(0).toInt(&ok, 16);
        QVERIFY2(ok && type >= 0 && type <= 0xFF, qPrintable(row.join(QLatin1Char('|'))));
        QVERIFY2(isKnownMessageType(static_cast<std::uint8_t>(type)), qPrintable(row.value(0)));
        QCOMPARE(QString::fromLatin1(toString(static_cast<MessageType>(type))), row.value(1));
        documented.insert(type);
    }
    QSet<int> known;
    for (int value = 0; value <= 0xFF; ++value) {
        if (isKnownMessageType(static_cast<std::uint8_t>(value)))
            known.insert(value);
    }
    QCOMPARE(documented, known);
    // "Any other type byte (0x00, 0x0D..0xFF) is refused".
    const QRegularExpressionMatch others = QRegularExpression(
        QStringLiteral("Any other type byte \\(0x00, 0x([0-9A-F]{2})\\.\\.0xFF\\)"))
                                               .match(text);
    QVERIFY2(others.hasMatch(), "the sentence naming the unknown type bytes is missing");
    QCOMPARE(
        others.captured(1).toInt(nullptr, 16), *std::max_element(known.begin(), known.end()) + 1);
    QVERIFY(!isKnownMessageType(0));
}

void ProtocolDocTest::errorCodesAreTheCodes()
{
    const QString text = section(m_document, QStringLiteral("## 5. Error codes"),
        QStringLiteral("### What the agency does"));
    const QList<QStringList> rows = tableRows(text, QStringLiteral("| Code | Name"));
    QVERIFY(!rows.isEmpty());
    QSet<int> documented;
    for (const QStringList &row : rows) {
        bool ok = false;
        const int value = row.value(0).toInt(&ok);
        QVERIFY2(ok, qPrintable(row.join(QLatin1Char('|'))));
        QVERIFY2(isKnownErrorCode(static_cast<std::uint16_t>(value)), qPrintable(row.value(0)));
        QCOMPARE(QString::fromLatin1(toString(static_cast<ErrorCode>(value))), code(row.value(1)));
        documented.insert(value);
    }
    QSet<int> known;
    for (int value = 0; value <= 0xFFFF; ++value) {
        if (isKnownErrorCode(static_cast<std::uint16_t>(value)))
            known.insert(value);
    }
    QCOMPARE(documented, known);
    const QRegularExpressionMatch range
        = QRegularExpression(QStringLiteral("code outside 1\\.\\.(\\d+) is refused")).match(text);
    QVERIFY2(range.hasMatch(), "the sentence giving the known codes' range is missing");
    QCOMPARE(range.captured(1).toInt(), *std::max_element(known.begin(), known.end()));

    // The agency's table names the same codes: "| 1, 2, 3 | `a`, `b`, `c` | ...".
    const QString agency = section(m_document, QStringLiteral("### What the agency does"),
        QStringLiteral("### Decode errors"));
    const QList<QStringList> agencyRows = tableRows(agency, QStringLiteral("| Code | Name"));
    QSet<int> inAgencyTable;
    for (const QStringList &row : agencyRows) {
        const QStringList numbers = row.value(0).split(QLatin1Char(','));
        const QStringList names = codes(row.value(1));
        QCOMPARE(numbers.size(), names.size());
        for (qsizetype i = 0; i < numbers.size(); ++i) {
            const int value = numbers[i].trimmed().toInt();
            QCOMPARE(QString::fromLatin1(toString(static_cast<ErrorCode>(value))), names[i]);
            inAgencyTable.insert(value);
        }
    }
    QCOMPARE(inAgencyTable, known);
}

QList<DecodeRow> ProtocolDocTest::decodeRows()
{
    const QString text
        = section(m_document, QStringLiteral("### Decode errors"), QStringLiteral("## 6."));
    QList<DecodeRow> result;
    for (const QStringList &row : tableRows(text, QStringLiteral("| Kind"))) {
        DecodeRow decoded;
        decoded.kindName = code(row.value(0));
        decoded.text = code(row.value(1));
        decoded.wireCode = row.value(2).toInt();
        decoded.frame = hexBytes(codes(row.value(4)).value(0));
        decoded.offset = static_cast<std::size_t>(row.value(5).toULongLong());
        result.append(decoded);
    }
    return result;
}

void ProtocolDocTest::decodeErrorTextsAreTheCodes()
{
    const QList<DecodeRow> rows = decodeRows();
    QCOMPARE(rows.size(), decodeKinds().size());
    QSet<QString> seen;
    for (const DecodeRow &row : rows) {
        QVERIFY2(decodeKinds().contains(row.kindName), qPrintable(row.kindName));
        seen.insert(row.kindName);
        const DecodeErrorKind kind = decodeKinds().value(row.kindName);
        QCOMPARE(QString::fromLatin1(toString(kind)), row.text);
        QCOMPARE(static_cast<int>(DecodeError {kind, 0, {}}.wireCode()), row.wireCode);
        // The example frame is refused with that kind at that offset.
        StreamDecoder decoder;
        decoder.feed(row.frame);
        Message message;
        QCOMPARE(decoder.next(message), DecodeStatus::Malformed);
        QCOMPARE(static_cast<int>(decoder.error().kind), static_cast<int>(kind));
        QCOMPARE(decoder.error().offset, row.offset);
        // DecodeError::toString() is the documented message form.
        const QString form = quotedAfter(m_document, QStringLiteral("**Decode ERROR message:** "));
        QVERIFY2(!form.isEmpty(), "the decode ERROR message form is missing");
        const QRegularExpression pattern = messagePattern(form,
            {{QStringLiteral("text"), row.text},
                {QStringLiteral("offset"), QString::number(row.offset)}});
        QVERIFY2(pattern.match(fromStd(decoder.error().toString())).hasMatch(),
            qPrintable(
                fromStd(decoder.error().toString()) + QStringLiteral(" !~ ") + pattern.pattern()));
    }
    QCOMPARE(seen.size(), decodeKinds().size());
}

QMap<int, QString> ProtocolDocTest::betReasons()
{
    const QString text = section(m_document, QStringLiteral("#### Bet rules and their reasons"),
        QStringLiteral("**REJECT(InvalidBet) reason:**"));
    QMap<int, QString> reasons;
    for (const QStringList &row : tableRows(text, QStringLiteral("| Rule |")))
        reasons.insert(row.value(0).toInt(), code(row.value(2)));
    return reasons;
}

QString ProtocolDocTest::reasonFor(const Sample &sample)
{
    QString reason = betReasons().value(sample.rule);
    if (sample.slot == Slot::FirstName || sample.slot == Slot::LastName)
        reason.replace(QStringLiteral("<field>"), fieldName(sample.slot));
    reason.replace(QStringLiteral("<c>"), sample.character);
    return reason;
}

void ProtocolDocTest::betReasonsAreWhatValidateBetSays()
{
    const QMap<int, QString> reasons = betReasons();
    QCOMPARE(reasons.size(), 17);
    QCOMPARE(reasons.firstKey(), 1);
    QCOMPARE(reasons.lastKey(), 17); // numbered 1..17 without a gap
    for (auto it = reasons.cbegin(); it != reasons.cend(); ++it)
        QVERIFY2(!it.value().isEmpty(), qPrintable(QStringLiteral("rule %1").arg(it.key())));

    QVERIFY(!validateBet(validBet(), kToday));
    QSet<int> covered;
    for (const Sample &sample : ruleSamples()) {
        Bet bet = validBet();
        apply(bet, sample);
        const std::optional<BetError> error = validateBet(bet, kToday);
        QVERIFY2(error, qPrintable(QStringLiteral("rule %1 accepted").arg(sample.rule)));
        QCOMPARE(fromStd(error->reason), reasonFor(sample));
        covered.insert(sample.rule);
    }
    QCOMPARE(covered.size(), reasons.size()); // a sample for every documented rule
}

void ProtocolDocTest::betRulesAreCheckedInTheDocumentedOrder()
{
    // Two broken fields: the one checked first (first_name, last_name, document, birthdate,
    // number) is reported, whatever its rule number.
    const std::vector<Sample> samples = ruleSamples();
    for (const Sample &a : samples) {
        for (const Sample &b : samples) {
            if (static_cast<int>(a.slot) >= static_cast<int>(b.slot))
                continue;
            Bet bet = validBet();
            apply(bet, a);
            apply(bet, b);
            const std::optional<BetError> error = validateBet(bet, kToday);
            QVERIFY(error);
            QCOMPARE(fromStd(error->reason), reasonFor(a));
        }
    }
    // One name breaking several rules: the document's rule numbers say which wins.
    const std::vector<std::pair<std::string, int>> several {
        {std::string(256, ' '), 2}, // too long beats spaces
        {"\xff\x01", 3}, // not UTF-8 beats a control character
        {"\x01\xff", 3}, {"\xc2\x85\x01", 4}, // a control character anywhere beats an earlier C1
        {"\xe2\x80\xa8 x\x7f", 4},
        {"\xc2\x85\xe2\x80\xa8", 5}, // of C1 and separators, the first found
        {"\xe2\x80\xa8\xc2\x85", 6}, {" Ana\xc2\x85", 5}, // C1 beats spaces
        {" =Ana", 7}, // spaces beat a formula
        {"=Ana ", 7},
        {"\xef\xbb\xbf"
         "Ana\xc2\xa0",
            8}, // a leading BOM beats a trailing no-break space
        {"=Ana\xc2\xa0", 9}, // a formula beats a trailing no-break space
    };
    for (const auto &[name, rule] : several) {
        Bet bet = validBet();
        bet.firstName = name;
        const std::optional<BetError> error = validateBet(bet, kToday);
        QVERIFY(error);
        const Sample sample {rule, Slot::FirstName, name, 0, QStringLiteral("=")};
        QCOMPARE(fromStd(error->reason), reasonFor(sample));
    }
}

// The examples of section 4's LIST_STORED and STORED_LIST, as the document writes them: each
// decodes to what its sentence says, and the table's `length` is the frame's.
void ProtocolDocTest::storedListExamplesDecode()
{
    const auto hexAfter = [this](const QString &sectionStart, const QString &lead) {
        const QString text = section(m_document, sectionStart, QStringLiteral("### "));
        const qsizetype at = text.indexOf(lead);
        if (at < 0)
            return QByteArray();
        const qsizetype open = text.indexOf(QLatin1Char('`'), at);
        const qsizetype close = text.indexOf(QLatin1Char('`'), open + 1);
        return QByteArray::fromHex(text.mid(open + 1, close - open - 1).toLatin1());
    };
    const auto decodeAll = [](const QByteArray &bytes) {
        StreamDecoder decoder;
        decoder.feed(bytes.constData(), static_cast<std::size_t>(bytes.size()));
        Message message;
        const DecodeStatus status = decoder.next(message);
        return status == DecodeStatus::Ok && decoder.pendingBytes() == 0
            ? std::optional<Message>(message)
            : std::nullopt;
    };
    const QByteArray list = hexAfter(QStringLiteral("### LIST_STORED (0x0D)"),
        QStringLiteral("Example, the first two stored bets:"));
    QCOMPARE(list.size(), 15);
    QCOMPARE(decodeAll(list), std::optional<Message>(ListStored {0, 2}));

    // STORED_LIST: the header the document writes, then the 67 bytes of section 9's step 3.
    const QByteArray header
        = hexAfter(QStringLiteral("### STORED_LIST (0x0E)"), QStringLiteral("(83 bytes):"));
    QCOMPARE(header.size(), 16);
    const std::string batch = encodeFrame(Batch {1,
        {Bet {"Ana", "P\xc3\xa9rez", "30904465", "1999-03-17", 7574},
            Bet {"Juan", "G\xc3\xb3mez", "12345678", "1980-12-01", 42}}});
    const QByteArray bets = QByteArray::fromStdString(batch.substr(15));
    QCOMPARE(bets.size(), 67);
    QVERIFY(bets.startsWith(QByteArray::fromHex("03416e61")) && bets.endsWith("\x00\x2a"));
    const StoredList expected {0, true,
        {Bet {"Ana", "P\xc3\xa9rez", "30904465", "1999-03-17", 7574},
            Bet {"Juan", "G\xc3\xb3mez", "12345678", "1980-12-01", 42}}};
    QCOMPARE(decodeAll(header + bets), std::optional<Message>(expected));
    QCOMPARE(QByteArray::fromStdString(encodeFrame(expected)), header + bets);
}

void ProtocolDocTest::limitsAreTheCodes()
{
    const QString text
        = section(m_document, QStringLiteral("## 6. Limits"), QStringLiteral("## 7."));
    const QMap<QString, qulonglong> limits {
        {QStringLiteral("kMaxFrameSize"), kMaxFrameSize},
        {QStringLiteral("kMaxBodySize"), kMaxBodySize},
        {QStringLiteral("kMaxBetFieldBytes"), kMaxBetFieldBytes},
        {QStringLiteral("kMaxDocumentDigits"), kMaxDocumentDigits},
        {QStringLiteral("kMaxBetNumber"), kMaxBetNumber},
        {QStringLiteral("kWinningNumber"), kWinningNumber},
        {QStringLiteral("kMinBirthYear"), static_cast<qulonglong>(kMinBirthYear)},
        {QStringLiteral("kMaxTextBytes"), kMaxTextBytes},
        {QStringLiteral("kProtocolVersion1"), kProtocolVersion1},
        {QStringLiteral("kProtocolVersion2"), kProtocolVersion2},
        {QStringLiteral("kLatestProtocolVersion"), kLatestProtocolVersion},
        {QStringLiteral("kDigestSize"), kDigestSize},
        {QStringLiteral("kMinEncodedBetSize"), kMinEncodedBetSize},
        {QStringLiteral("kMinEncodedDocumentSize"), kMinEncodedDocumentSize},
        {QStringLiteral("kNoBetIndex"), kNoBetIndex},
        {QStringLiteral("kMaxListedBets"), kMaxListedBets},
        {QStringLiteral("kStoredListHeaderSize"), kStoredListHeaderSize},
    };
    QSet<QString> seen;
    for (const QStringList &row : tableRows(text, QStringLiteral("| Limit"))) {
        const QStringList names = codes(row.value(0));
        const QStringList values = row.value(1).split(QLatin1Char(','));
        QCOMPARE(names.size(), values.size());
        for (qsizetype i = 0; i < names.size(); ++i) {
            QVERIFY2(limits.contains(names[i]), qPrintable(names[i] + QStringLiteral(" unknown")));
            const QString value = values[i].trimmed();
            bool ok = false;
            const qulonglong number = value.startsWith(QLatin1String("0x"))
                ? value.mid(2).toULongLong(&ok, 16)
                : value.toULongLong(&ok);
            QVERIFY2(ok, qPrintable(value));
            QCOMPARE(number, limits.value(names[i]));
            seen.insert(names[i]);
        }
    }
    QCOMPARE(seen.size(), limits.size());
    // Section 1: what `length` and a body may be, and that 8192 counts the whole frame.
    const QString framing = section(m_document, QStringLiteral("## 1."), QStringLiteral("## 2."));
    QVERIFY(framing.contains(
        QStringLiteral("**%1 bytes** (`kMaxFrameSize`), counting every byte").arg(kMaxFrameSize)));
    QVERIFY(framing.contains(
        QStringLiteral("`length` is 1..%1").arg(kMaxFrameSize - kLengthFieldSize)));
    QVERIFY(framing.contains(QStringLiteral("0..%1 bytes").arg(kMaxBodySize)));
}

void ProtocolDocTest::theServerSaysWhatTheDocumentSays()
{
    const QString rejectForm
        = quotedAfter(m_document, QStringLiteral("**REJECT(InvalidBet) reason:** "));
    QVERIFY2(!rejectForm.isEmpty(), "the REJECT(InvalidBet) reason form is missing");
    const QString errorLabel = QStringLiteral("**Decode ERROR message:** ");
    const QString errorForm = quotedAfter(m_document, errorLabel);
    QVERIFY2(!errorForm.isEmpty(), "the decode ERROR message form is missing");
    const QList<QStringList> timeouts
        = tableRows(section(m_document, QStringLiteral("Timeouts (server side"),
                        QStringLiteral("The idle timeout does not run")),
            QStringLiteral("| Setting"));
    QString helloTimeoutForm;
    for (const QStringList &row : timeouts) {
        if (code(row.value(0)) == QLatin1String("SERVER_HELLO_TIMEOUT_MS"))
            helloTimeoutForm = code(row.value(3));
    }
    QVERIFY2(!helloTimeoutForm.isEmpty(), "the HELLO timeout's message is missing");

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const int helloTimeoutMs = 3000;
    qputenv("SERVER_HELLO_TIMEOUT_MS", QByteArray::number(helloTimeoutMs));
    testing::ServerProcess server;
    QVERIFY2(
        server.start(2, dir.filePath(QStringLiteral("bets.csv"))), server.output().constData());
    qunsetenv("SERVER_HELLO_TIMEOUT_MS");

    // A plain connection that sends nothing: ERROR(Timeout) with the documented text, then the
    // close (docs/SECURITY.md says the same).
    testing::WireClient silent;
    QVERIFY(silent.connectTo(server.port()));

    // A BATCH with an invalid bet: REJECT(InvalidBet) with exactly the documented reason.
    testing::WireClient rejected;
    QVERIFY(rejected.connectTo(server.port()));
    rejected.send(Hello {kProtocolVersion1, 2, {}});
    QVERIFY(rejected.receiveAs<Welcome>());
    Bet bad = validBet();
    bad.lastName = "Pérez\x01";
    rejected.send(Batch {1, {validBet(), bad, validBet()}});
    const std::optional<Reject> reject = rejected.receiveAs<Reject>();
    QVERIFY(reject);
    QCOMPARE(reject->code, ErrorCode::InvalidBet);
    QCOMPARE(reject->betIndex, std::uint16_t(1));
    QCOMPARE(reject->sequence, std::uint64_t(1));
    QString expected = rejectForm;
    expected.replace(QStringLiteral("<betIndex>"), QStringLiteral("1"));
    expected.replace(
        QStringLiteral("<reason>"), reasonFor(Sample {4, Slot::LastName, bad.lastName, 0, {}}));
    QCOMPARE(fromStd(reject->reason), expected);

    // Each documented malformed frame: ERROR with the documented code and message form.
    for (const DecodeRow &row : decodeRows()) {
        testing::WireClient client;
        QVERIFY(client.connectTo(server.port()));
        client.sendBytes(row.frame);
        const std::optional<ErrorMessage> error = client.receiveAs<ErrorMessage>();
        QVERIFY2(error, qPrintable(row.kindName));
        QCOMPARE(static_cast<int>(error->code), row.wireCode);
        const QRegularExpression pattern = messagePattern(errorForm,
            {{QStringLiteral("text"), row.text},
                {QStringLiteral("offset"), QString::number(row.offset)}});
        QVERIFY2(pattern.match(fromStd(error->message)).hasMatch(),
            qPrintable(fromStd(error->message) + QStringLiteral(" !~ ") + pattern.pattern()));
        QVERIFY(client.waitForDisconnected());
    }

    // Behind a held GET_WINNERS, later requests are answered first; WINNERS come when the draw
    // has run, in storage order, a document once per winning bet.
    testing::WireClient waiting;
    QVERIFY(waiting.connectTo(server.port()));
    waiting.send(Hello {kProtocolVersion1, 1, {}});
    QVERIFY(waiting.receiveAs<Welcome>());
    waiting.send(GetWinners {});
    Bet first = validBet();
    first.document = "222";
    Bet second = validBet();
    second.document = "111";
    Bet loser = validBet();
    loser.number = 1;
    waiting.send(Batch {1, {first, loser, second, first}});
    waiting.send(Done {});
    const std::optional<Ack> ack = waiting.receiveAs<Ack>();
    QVERIFY2(ack, "the BATCH behind a held GET_WINNERS was not answered first");
    QCOMPARE(ack->count, std::uint16_t(4));
    QVERIFY2(waiting.receiveAs<DoneAck>(), "DONE behind a held GET_WINNERS not answered first");

    testing::WireClient last; // agency 2's DONE runs the draw
    QVERIFY(last.connectTo(server.port()));
    last.send(Hello {kProtocolVersion1, 2, {}});
    QVERIFY(last.receiveAs<Welcome>());
    last.send(Done {});
    QVERIFY(last.receiveAs<DoneAck>());
    const std::optional<Winners> winners = waiting.receiveAs<Winners>(30000);
    QVERIFY(winners);
    QVERIFY(winners->final);
    QCOMPARE(winners->documents, (std::vector<std::string> {"222", "111", "222"}));

    const std::optional<ErrorMessage> timeout = silent.receiveAs<ErrorMessage>(30000);
    QVERIFY2(timeout, "a silent plain connection got no ERROR before the close");
    QCOMPARE(timeout->code, ErrorCode::Timeout);
    QString helloTimeout = helloTimeoutForm;
    helloTimeout.replace(QStringLiteral(" N "), QStringLiteral(" %1 ").arg(helloTimeoutMs));
    QCOMPARE(fromStd(timeout->message), helloTimeout);
    QVERIFY(silent.waitForDisconnected());
    QVERIFY(server.terminate());
}

QTEST_GUILESS_MAIN(ProtocolDocTest)
#include "tst_protocol_doc.moc"
