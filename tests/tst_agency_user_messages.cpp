// The agency library's messages to a person, shared by agency-gui and agency-cli: every reason
// the real file reader gives for an invalid row has its English and Spanish sentence (from the
// library's own catalog, lottery_agency_es_AR.qm in its resources), every way an upload fails
// has a title and an explanation in both languages, and a duration reads as a clock.
#include "support/invalid_rows.h"

#include "common/translations.h"
#include "lottery/agency/bet_file_reader.h"
#include "lottery/agency/duration_text.h"
#include "lottery/agency/user_messages.h"

#include <QCoreApplication>
#include <QMetaEnum>
#include <QTemporaryDir>
#include <QTest>
#include <QTranslator>

using namespace lottery;
using namespace lottery::agency;
using namespace lottery::testing;

namespace {

void removeTranslators()
{
    for (QTranslator *translator : qApp->findChildren<QTranslator *>()) {
        QCoreApplication::removeTranslator(translator);
        delete translator;
    }
}

} // namespace

class TestAgencyUserMessages : public QObject
{
    Q_OBJECT

private slots:
    void cleanup() { removeTranslators(); }
    void readerGivesEveryReason();
    void invalidRowInEachLanguage_data();
    void invalidRowInEachLanguage();
    void unknownReasonStaysAsItIs();
    void everyFailureHasItsMessage_data();
    void everyFailureHasItsMessage();
    void duration_data();
    void duration();
};

// The table of tests/support/invalid_rows.h is what the reader really says, row by row: a rule
// whose wording changes, or a new one, shows here first.
void TestAgencyUserMessages::readerGivesEveryReason()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("rows.csv"));
    const QList<InvalidRowCase> cases = invalidRowCases();
    QVERIFY(writeInvalidRowsFile(path, cases));
    BetFileReader reader;
    reader.setToday(QDate(2024, 6, 1));
    QVERIFY2(reader.open(path), qPrintable(reader.errorString()));
    QStringList reasons;
    BetRow row;
    while (reader.readNext(row)) {
        if (!row.bet)
            reasons << row.error;
    }
    QStringList expected;
    for (const InvalidRowCase &c : cases)
        expected << c.reason;
    QCOMPARE(reasons, expected);
}

void TestAgencyUserMessages::invalidRowInEachLanguage_data()
{
    QTest::addColumn<QString>("reason");
    QTest::addColumn<QString>("english");
    QTest::addColumn<QString>("spanish");
    for (const InvalidRowCase &c : invalidRowCases())
        QTest::newRow(c.name) << c.reason << c.english << c.spanish;
}

void TestAgencyUserMessages::invalidRowInEachLanguage()
{
    QFETCH(QString, reason);
    QFETCH(QString, english);
    QFETCH(QString, spanish);
    QCOMPARE(UserMessages::forInvalidRow(reason), english);
    QVERIFY(installTranslations(Language::Spanish, {UserMessages::catalog()}));
    QCOMPARE(UserMessages::forInvalidRow(reason), spanish);
}

void TestAgencyUserMessages::unknownReasonStaysAsItIs()
{
    QVERIFY(installTranslations(Language::Spanish, {UserMessages::catalog()}));
    QCOMPARE(UserMessages::forInvalidRow(QStringLiteral("something new")),
        QStringLiteral("something new"));
    QCOMPARE(UserMessages::forInvalidRow(QStringLiteral("first_name is green")),
        QStringLiteral("first_name is green"));
}

void TestAgencyUserMessages::everyFailureHasItsMessage_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<int>("code"); // 0: none
    const QMetaEnum kinds = QMetaEnum::fromType<UploadError::Kind>();
    for (int i = 0; i < kinds.keyCount(); ++i) {
        const auto kind = static_cast<UploadError::Kind>(kinds.value(i));
        if (kind != UploadError::Kind::None)
            QTest::newRow(kinds.key(i)) << kinds.value(i) << 0;
    }
    for (int code = 1; code <= 17; ++code)
        QTest::newRow(protocol::toString(static_cast<protocol::ErrorCode>(code)))
            << static_cast<int>(UploadError::Kind::ServerError) << code;
}

void TestAgencyUserMessages::everyFailureHasItsMessage()
{
    QFETCH(int, kind);
    QFETCH(int, code);
    UploadError error;
    error.kind = static_cast<UploadError::Kind>(kind);
    if (code != 0)
        error.code = static_cast<protocol::ErrorCode>(code);
    const UserMessage english = UserMessages::forError(error);
    QVERIFY(!english.title.isEmpty());
    QVERIFY(!english.explanation.isEmpty());
    QVERIFY(english.title != QLatin1String("Upload failed")); // the fallback of no kind
    QVERIFY(installTranslations(Language::Spanish, {UserMessages::catalog()}));
    const UserMessage spanish = UserMessages::forError(error);
    QVERIFY2(spanish.title != english.title, qPrintable(english.title));
    QVERIFY2(spanish.explanation != english.explanation, qPrintable(english.explanation));
}

void TestAgencyUserMessages::duration_data()
{
    QTest::addColumn<qint64>("seconds");
    QTest::addColumn<QString>("text");
    QTest::newRow("zero") << qint64(0) << "0:00";
    QTest::newRow("seconds") << qint64(7) << "0:07";
    QTest::newRow("minutes") << qint64(754) << "12:34";
    QTest::newRow("an hour") << qint64(3600) << "1:00:00";
    QTest::newRow("hours") << qint64(36061) << "10:01:01";
}

void TestAgencyUserMessages::duration()
{
    QFETCH(qint64, seconds);
    QFETCH(QString, text);
    QCOMPARE(durationText(seconds), text);
}

QTEST_GUILESS_MAIN(TestAgencyUserMessages)
#include "tst_agency_user_messages.moc"
