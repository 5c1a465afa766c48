//! System jobs: GC schedule and runs, audit-log purge, scan-all schedule and scanners.

use std::collections::VecDeque;
use std::time::Duration;

use harbor_client::Error;
use harbor_client::generated::models::GCHistory;
use harbor_client::tasks::{
    Cron, GcScheduleSpec, JobSchedule, Outcome, PurgeScheduleSpec, ScannerAuth, ScannerSpec,
    WaitOptions, ensure_gc_schedule, ensure_purge_schedule, ensure_scan_all_schedule,
    ensure_scanner, wait_for_gc,
};
use secrecy::SecretString;

use crate::fake_harbor::FakeHarbor;

fn nightly() -> JobSchedule {
    JobSchedule::Custom(Cron::parse("0 0 3 * * *").unwrap())
}

#[tokio::test]
async fn gc_schedule_created_updated_unchanged() {
    let harbor = FakeHarbor::start().await;
    let client = harbor.client();
    let spec = GcScheduleSpec::new(nightly())
        .delete_untagged(true)
        .workers(2)
        .unwrap();

    let created = ensure_gc_schedule(&client, &spec).await.unwrap();
    assert!(matches!(created, Outcome::Created(_)), "{created:?}");
    assert_eq!(harbor.take_writes(), ["POST /system/gc/schedule"]);

    assert!(
        !ensure_gc_schedule(&client, &spec)
            .await
            .unwrap()
            .is_change()
    );
    assert!(harbor.take_writes().is_empty());

    let weekly = GcScheduleSpec::new(JobSchedule::Weekly)
        .delete_untagged(true)
        .workers(2)
        .unwrap();
    let updated = ensure_gc_schedule(&client, &weekly).await.unwrap();
    assert!(matches!(updated, Outcome::Updated(_)), "{updated:?}");
    assert_eq!(harbor.take_writes(), ["PUT /system/gc/schedule"]);
}

#[tokio::test]
async fn no_gc_schedule_wanted_sends_nothing() {
    let harbor = FakeHarbor::start().await;
    let client = harbor.client();

    let outcome = ensure_gc_schedule(&client, &GcScheduleSpec::new(JobSchedule::None))
        .await
        .unwrap();
    assert!(matches!(outcome, Outcome::Unchanged(_)), "{outcome:?}");
    assert!(harbor.take_writes().is_empty());
}

fn gc_run(status: &str) -> GCHistory {
    GCHistory {
        id: Some(9),
        job_status: Some(status.to_owned()),
        ..GCHistory::default()
    }
}

fn wait(seconds: u64) -> WaitOptions {
    WaitOptions::with_timeout(Duration::from_secs(seconds)).initial_interval(Duration::from_secs(1))
}

#[tokio::test]
async fn gc_run_waited_to_success() {
    let harbor = FakeHarbor::start().await;
    let script = VecDeque::from([gc_run("Pending"), gc_run("Running"), gc_run("Success")]);
    harbor.state().gc_runs.insert(9, script);
    let client = harbor.client();

    let run = wait_for_gc(&client, 9, wait(600)).await.unwrap();
    assert_eq!(run.job_status.as_deref(), Some("Success"));
    assert_eq!(
        harbor.sleeps(),
        [Duration::from_secs(1), Duration::from_secs(2)]
    );
}

#[tokio::test]
async fn gc_error_reports_log_tail() {
    let harbor = FakeHarbor::start().await;
    harbor
        .state()
        .gc_runs
        .insert(9, VecDeque::from([gc_run("Running"), gc_run("Error")]));
    harbor
        .state()
        .gc_logs
        .insert(9, "start\nfailed to delete blob\n".to_owned());
    let client = harbor.client();

    let error = wait_for_gc(&client, 9, wait(600)).await.unwrap_err();
    let Error::GcFailed {
        gc_id, log_tail, ..
    } = &error
    else {
        panic!("expected GcFailed, got {error}");
    };
    assert_eq!(*gc_id, 9);
    assert_eq!(
        log_tail.last().map(String::as_str),
        Some("failed to delete blob")
    );
}

#[tokio::test]
async fn gc_that_never_ends_times_out() {
    let harbor = FakeHarbor::start().await;
    harbor
        .state()
        .gc_runs
        .insert(9, VecDeque::from([gc_run("Running")]));
    let client = harbor.client();

    let error = wait_for_gc(&client, 9, wait(45)).await.unwrap_err();
    assert!(matches!(error, Error::Timeout { .. }), "{error}");
    let slept: Duration = harbor.sleeps().iter().sum();
    assert_eq!(slept, Duration::from_secs(45));
}

#[tokio::test]
async fn purge_schedule_idempotent() {
    let harbor = FakeHarbor::start().await;
    let client = harbor.client();
    let spec = PurgeScheduleSpec::new(
        JobSchedule::Daily,
        720,
        ["pull_artifact", "create_artifact"],
    )
    .unwrap();

    assert!(matches!(
        ensure_purge_schedule(&client, &spec).await.unwrap(),
        Outcome::Created(_)
    ));
    assert_eq!(harbor.take_writes(), ["POST /system/purgeaudit/schedule"]);
    assert!(
        !ensure_purge_schedule(&client, &spec)
            .await
            .unwrap()
            .is_change()
    );
    assert!(harbor.take_writes().is_empty());

    let shorter =
        PurgeScheduleSpec::new(JobSchedule::Daily, 24, ["create_artifact", "pull_artifact"])
            .unwrap();
    assert!(matches!(
        ensure_purge_schedule(&client, &shorter).await.unwrap(),
        Outcome::Updated(_)
    ));
    assert_eq!(harbor.take_writes(), ["PUT /system/purgeaudit/schedule"]);
}

#[tokio::test]
async fn scan_all_schedule_idempotent() {
    let harbor = FakeHarbor::start().await;
    let client = harbor.client();

    assert!(matches!(
        ensure_scan_all_schedule(&client, &JobSchedule::Daily)
            .await
            .unwrap(),
        Outcome::Created(_)
    ));
    assert_eq!(harbor.take_writes(), ["POST /system/scanAll/schedule"]);
    assert!(
        !ensure_scan_all_schedule(&client, &JobSchedule::Daily)
            .await
            .unwrap()
            .is_change()
    );
    assert!(harbor.take_writes().is_empty());
    assert!(matches!(
        ensure_scan_all_schedule(&client, &nightly()).await.unwrap(),
        Outcome::Updated(_)
    ));
    assert_eq!(harbor.take_writes(), ["PUT /system/scanAll/schedule"]);
}

fn trivy() -> ScannerSpec {
    let key = ScannerAuth::ApiKey(SecretString::from("TrivyKey1".to_owned()));
    ScannerSpec::new("trivy", "http://trivy.harbor:8080")
        .unwrap()
        .auth(key)
}

#[tokio::test]
async fn scanner_registered_and_made_default() {
    let harbor = FakeHarbor::start().await;
    let client = harbor.client();
    ensure_scanner(
        &client,
        &ScannerSpec::new("clair", "http://clair:6060").unwrap(),
    )
    .await
    .unwrap();
    harbor.take_requests();

    let spec = trivy().default_scanner(true);
    let created = ensure_scanner(&client, &spec).await.unwrap();
    assert!(matches!(created, Outcome::Created(_)), "{created:?}");
    assert_eq!(created.resource().is_default, Some(true));
    let uuid = created.resource().uuid.clone().unwrap();
    assert_eq!(
        harbor.take_writes(),
        [
            "POST /scanners/ping".to_owned(),
            "POST /scanners".to_owned(),
            format!("PATCH /scanners/{uuid}")
        ]
    );

    assert!(!ensure_scanner(&client, &spec).await.unwrap().is_change());
    assert!(harbor.take_writes().is_empty());

    let disabled = ensure_scanner(&client, &trivy().skip_cert_verify(true))
        .await
        .unwrap();
    assert!(matches!(disabled, Outcome::Updated(_)), "{disabled:?}");
    assert_eq!(disabled.resource().skip_cert_verify, Some(true));
    assert_eq!(
        harbor.take_writes(),
        [
            "POST /scanners/ping".to_owned(),
            format!("PUT /scanners/{uuid}")
        ]
    );
}
