#include "demo/corpus.h"

namespace astrolabe::demo {
namespace {

constexpr std::string_view kSupportSystem =
    "You are Aria, the support assistant of Northwind Cloud. Answer briefly, link to the "
    "documentation when it helps, and never promise refunds.";
constexpr std::string_view kCodingSystem =
    "You are a senior engineer reviewing code and answering programming questions. Prefer small, "
    "correct examples over long explanations.";
constexpr std::string_view kSummarySystem =
    "Summarise the text for a busy reader: at most five bullet points, keep numbers and names "
    "exact, no opinions.";

constexpr Conversation kConversations[] = {
    // ---- support -------------------------------------------------------------------------
    {Topic::kSupport, "answer_ticket", kSupportSystem, "", "",
     "How do I reset my password? The reset email never arrives.",
     "Open Settings > Security and choose Reset password. If the email does not arrive within "
     "five minutes, check the spam folder and make sure noreply@northwind.example is allowed. "
     "You can also ask an administrator of your organisation to send a reset link from the "
     "Members page."},
    {Topic::kSupport, "answer_ticket", kSupportSystem, "", "",
     "Why was I charged twice this month?",
     "The second charge is usually a pre-authorisation that your bank releases within three "
     "business days. If both charges are still there after that, reply with the last four digits "
     "of the card and the invoice numbers and the billing team will investigate."},
    {Topic::kSupport, "answer_ticket", kSupportSystem, "I want to add a teammate.",
     "Go to Organisation > Members and click Invite; they get an email with a link.",
     "They say the invitation link has expired. What now?",
     "Invitation links are valid for 72 hours. Open Organisation > Members, find the pending "
     "invitation and choose Resend; the new link replaces the old one."},
    {Topic::kSupport, "answer_ticket", kSupportSystem, "", "",
     "Can I move my project from the EU region to the US region?",
     "Projects cannot be moved between regions in place. Create a project in the US region, "
     "export the data with the Export tool under Project > Settings, import it there, then "
     "update your DNS records. The documentation page 'Migrating between regions' lists each "
     "step."},
    {Topic::kSupport, "answer_ticket", kSupportSystem, "", "",
     "The dashboard says 'quota exceeded' but we only have three VMs.",
     "The quota counts vCPUs, not machines: three VMs with 16 vCPUs each use 48 of the 40 vCPUs "
     "included in your plan. You can request a higher quota under Billing > Quotas; most "
     "requests are approved within one business day."},
    {Topic::kSupport, "triage_ticket", kSupportSystem, "", "",
     "Classify this ticket: 'API returns 502 for every request since 09:40 UTC, production is "
     "down.'",
     "Category: incident. Severity: 1 (production outage). Component: API gateway. Suggested "
     "action: page the on-call engineer and link the status page incident."},
    {Topic::kSupport, "triage_ticket", kSupportSystem, "", "",
     "Classify this ticket: 'Could you add dark mode to the console?'",
     "Category: feature request. Severity: 4. Component: console UI. Suggested action: add a "
     "vote to the existing dark-mode request and reply with the public roadmap link."},
    {Topic::kSupport, "answer_ticket", kSupportSystem, "", "",
     "How do I enable two-factor authentication for everyone in my organisation?",
     "An owner can require it under Organisation > Security > Require two-factor "
     "authentication. Members without it are asked to set it up at their next sign-in and "
     "cannot open projects until they do."},
    {Topic::kSupport, "answer_ticket", kSupportSystem, "", "",
     "Where can I download our invoices as PDF?",
     "Billing > Invoices lists every invoice; the download icon at the end of each row saves "
     "the PDF. Billing administrators also receive each invoice by email on the first day of "
     "the month."},
    {Topic::kSupport, "answer_ticket", kSupportSystem, "", "",
     "Our webhook stopped receiving events yesterday.",
     "Webhooks are disabled after 24 hours of failed deliveries. Check the endpoint answers "
     "with a 2xx status, then re-enable it under Project > Webhooks; failed events from the "
     "last three days can be redelivered from the same page."},
    // ---- coding --------------------------------------------------------------------------
    {Topic::kCoding, "review_diff", kCodingSystem, "", "",
     "Review this C++: `for (auto it = v.begin(); it != v.end(); ++it) if (*it == 0) "
     "v.erase(it);`",
     "Erasing invalidates `it`, so the loop has undefined behaviour after the first erase. Use "
     "the erase-remove idiom instead: `std::erase(v, 0);` in C++20, or `v.erase(std::remove(v."
     "begin(), v.end(), 0), v.end());` before that."},
    {Topic::kCoding, "answer_question", kCodingSystem, "", "",
     "What is the difference between a mutex and a semaphore?",
     "A mutex gives one thread exclusive ownership and must be unlocked by the thread that "
     "locked it. A semaphore is a counter: it lets up to N holders in and any thread may "
     "release it, which makes it suited to limiting concurrency rather than protecting data."},
    {Topic::kCoding, "answer_question", kCodingSystem, "", "",
     "How do I read a file line by line in Python without loading it all?",
     "Iterate over the file object: `with open(path, encoding='utf-8') as f:` then `for line "
     "in f:`. Python reads it in buffered chunks, so memory stays flat even for large files."},
    {Topic::kCoding, "review_diff", kCodingSystem, "", "",
     "Is this Go code safe? `go func() { results = append(results, r) }()` inside a loop.",
     "No: several goroutines append to the same slice without synchronisation, which is a data "
     "race. Send results over a channel, or guard the append with a sync.Mutex, and wait for "
     "the goroutines with a sync.WaitGroup."},
    {Topic::kCoding, "write_sql", kCodingSystem, "", "",
     "Write SQL for the ten customers with the highest total order value in 2025.",
     "SELECT c.id, c.name, SUM(o.total) AS value FROM customers c JOIN orders o ON o.customer_id "
     "= c.id WHERE o.created_at >= '2025-01-01' AND o.created_at < '2026-01-01' GROUP BY c.id, "
     "c.name ORDER BY value DESC LIMIT 10;"},
    {Topic::kCoding, "answer_question", kCodingSystem, "We use PostgreSQL 15.",
     "Noted. What would you like to know?",
     "Why is my query slow even though the column has an index?",
     "Common causes: the predicate wraps the column in a function, so the index cannot be used; "
     "the planner estimates that most rows match; or the statistics are stale. Run EXPLAIN "
     "ANALYZE, check the row estimates, and run ANALYZE on the table."},
    {Topic::kCoding, "explain_error", kCodingSystem, "", "",
     "TypeError: Cannot read properties of undefined (reading 'map')",
     "Something you call `.map` on is undefined, typically data that has not loaded yet. "
     "Initialise the state with an empty array, or guard the call with optional chaining: "
     "`items?.map(...)`."},
    {Topic::kCoding, "explain_error", kCodingSystem, "", "",
     "Kubernetes pod status CrashLoopBackOff. What should I look at first?",
     "Read the previous container's logs with `kubectl logs POD --previous`, then `kubectl "
     "describe pod POD` for the exit code and events. Exit code 137 means the container was "
     "killed, usually for exceeding its memory limit."},
    {Topic::kCoding, "write_tests", kCodingSystem, "", "",
     "Write a unit test for a function slugify(title) that lowercases and joins words with "
     "dashes.",
     "def test_slugify():\n    assert slugify('Hello World') == 'hello-world'\n    assert "
     "slugify('  Many   spaces ') == 'many-spaces'\n    assert slugify('') == ''"},
    {Topic::kCoding, "review_diff", kCodingSystem, "", "",
     "Review: the retry loop sleeps a fixed 100 ms between attempts, up to 50 attempts.",
     "A fixed short delay hammers a struggling service. Use exponential backoff with jitter, "
     "cap the total time rather than the attempt count, and retry only errors that are "
     "actually transient, such as 429, 503 and connection resets."},
    // ---- summarisation -------------------------------------------------------------------
    {Topic::kSummarisation, "summarise_incident", kSummarySystem, "", "",
     "Summarise: At 09:40 UTC a configuration change raised the gateway's connection limit "
     "above what the load balancer allowed. Requests failed with 502 for 23 minutes until the "
     "change was rolled back at 10:03. About 4% of daily traffic was affected. A validation "
     "step will now compare both limits before deploys.",
     "- 09:40 UTC: a gateway config change exceeded the load balancer's connection limit.\n- "
     "Requests failed with 502 for 23 minutes; rollback at 10:03.\n- About 4% of daily traffic "
     "affected.\n- Fix: deploys now validate both limits."},
    {Topic::kSummarisation, "summarise_meeting", kSummarySystem, "", "",
     "Summarise the meeting notes: Maria will finish the pricing page by Friday. The launch "
     "moves from May 2 to May 9 because the payment provider needs another week of review. "
     "Tom asked for a load test before launch; agreed. Budget for ads stays at 12,000 EUR.",
     "- Launch moves from May 2 to May 9 (payment provider review).\n- Maria finishes the "
     "pricing page by Friday.\n- A load test runs before launch (Tom).\n- Ad budget unchanged: "
     "12,000 EUR."},
    {Topic::kSummarisation, "summarise_document", kSummarySystem, "", "",
     "Summarise: The quarterly report shows revenue of 4.2 million USD, up 18% on the previous "
     "quarter, driven by the enterprise plan. Churn fell from 3.1% to 2.4%. Operating costs "
     "rose 9%, mostly GPU capacity for the new inference service.",
     "- Revenue 4.2 M USD, +18% quarter on quarter (enterprise plan).\n- Churn down from 3.1% "
     "to 2.4%.\n- Operating costs +9%, mainly GPU capacity for inference."},
    {Topic::kSummarisation, "summarise_thread", kSummarySystem, "", "",
     "Summarise this support thread: the customer cannot log in with SSO since Monday; agent "
     "asked for the IdP metadata; customer sent it; agent found the signing certificate "
     "expired on Sunday; customer rotated it and confirmed login works.",
     "- SSO login failed from Monday.\n- Cause: the IdP signing certificate expired on "
     "Sunday.\n- Customer rotated the certificate; login confirmed working."},
    {Topic::kSummarisation, "summarise_document", kSummarySystem, "", "",
     "Summarise the release notes: version 2.8 adds streaming responses, raises the request "
     "size limit to 20 MB, deprecates the v1 batch endpoint (removal in 3.0) and fixes a memory "
     "leak in the Python client.",
     "- Streaming responses added.\n- Request size limit raised to 20 MB.\n- v1 batch endpoint "
     "deprecated, removed in 3.0.\n- Python client memory leak fixed."},
    {Topic::kSummarisation, "summarise_review", kSummarySystem, "", "",
     "Summarise these product reviews: 'Fast setup, but the docs are thin.' 'Support answered "
     "in ten minutes!' 'Pricing is confusing.' 'Great latency from Europe.' 'Docs need more "
     "examples.'",
     "- Praised: quick setup, fast support, good latency from Europe.\n- Criticised: thin "
     "documentation lacking examples (2 reviews), confusing pricing."},
    {Topic::kSummarisation, "summarise_incident", kSummarySystem, "", "",
     "Summarise: the nightly backup job failed for three nights because the storage bucket "
     "reached its 10 TB quota. Nobody noticed because failure alerts went to a deleted "
     "mailing list. The quota was raised to 20 TB and alerts now page the on-call engineer.",
     "- Nightly backups failed three nights running: the bucket hit its 10 TB quota.\n- "
     "Alerts went to a deleted mailing list.\n- Quota raised to 20 TB; alerts now page "
     "on-call."},
    {Topic::kSummarisation, "summarise_meeting", kSummarySystem, "", "",
     "Summarise: the team agreed to move the inference service from the 70B to the 8B model "
     "for simple questions, keeping 70B for code. Expected saving is 60% of GPU hours. Ravi "
     "will set up the routing rule in the gateway by Wednesday.",
     "- Simple questions move to the 8B model; code stays on 70B.\n- Expected saving: 60% of "
     "GPU hours.\n- Ravi adds the gateway routing rule by Wednesday."},
    {Topic::kSummarisation, "summarise_thread", kSummarySystem, "", "",
     "Summarise: a user reports slow answers at 14:00 every day; graphs show the waiting queue "
     "of the model server grows from 0 to 40 at that time, when a batch job starts sending "
     "10,000 prompts.",
     "- Answers slow daily at 14:00.\n- The model server's waiting queue grows from 0 to 40 "
     "then.\n- Cause: a batch job sending 10,000 prompts at 14:00."},
};

}  // namespace

std::string_view TopicName(Topic topic) {
  switch (topic) {
    case Topic::kSupport:
      return "support";
    case Topic::kCoding:
      return "coding";
    case Topic::kSummarisation:
      return "summarisation";
  }
  return "";
}

std::span<const Conversation> Corpus() { return kConversations; }

}  // namespace astrolabe::demo
