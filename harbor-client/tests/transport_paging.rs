//! Paging and query encoding: the lazy stream over pages, and `q` values as they arrive.

mod transport_support;

use futures_util::StreamExt as _;
use harbor_client::paging::{self, PagedRequest};
use harbor_client::query::Query;
use harbor_client::{Error, Request};
use serde_json::{Value, json};
use transport_support::{client, get, server};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

/// A list request built by hand the way generated list operations are.
#[derive(Debug, Clone)]
struct ListArtifacts {
    page: Option<i64>,
    page_size: Option<i64>,
}

impl PagedRequest for ListArtifacts {
    type Item = Value;

    fn set_page(&mut self, page: i64, page_size: i64) {
        self.page = Some(page);
        self.page_size = Some(page_size);
    }

    fn page_size(&self) -> Option<i64> {
        self.page_size
    }

    fn build(&self) -> Result<Request, Error> {
        let mut request = get(
            "listArtifacts",
            "/projects/{project_name}/repositories/{repository_name}/artifacts",
            "/projects/library/repositories/nginx/artifacts",
        );
        if let Some(page) = self.page {
            request.query.push(("page", page.to_string()));
        }
        if let Some(page_size) = self.page_size {
            request.query.push(("page_size", page_size.to_string()));
        }
        Ok(request)
    }
}

const ARTIFACTS: &str = "/api/v2.0/projects/library/repositories/nginx/artifacts";

fn items(range: std::ops::Range<u32>) -> Value {
    Value::Array(range.map(|id| json!({"id": id})).collect())
}

/// Returns a `Link` header value the way Harbor writes it.
fn link(page: u32, size: u32, last: u32) -> String {
    let target = |n: u32| format!("<{ARTIFACTS}?page={n}&page_size={size}>");
    let mut links = Vec::new();
    if page > 1 {
        links.push(format!("{}; rel=\"prev\"", target(page - 1)));
    }
    if page < last {
        links.push(format!("{}; rel=\"next\"", target(page + 1)));
    }
    links.join(" , ")
}

#[tokio::test]
async fn stream_reads_three_pages_lazily() {
    let server = server().await;
    for (page, range) in [(1, 0..2), (2, 2..4), (3, 4..5)] {
        let mut response = ResponseTemplate::new(200)
            .append_header("x-total-count", "5")
            .set_body_json(items(range));
        let link = link(page, 2, 3);
        if !link.is_empty() {
            response = response.append_header("link", link.as_str());
        }
        Mock::given(method("GET"))
            .and(path(ARTIFACTS))
            .and(query_param("page", page.to_string()))
            .and(query_param("page_size", "2"))
            .respond_with(response)
            .expect(1)
            .mount(&server)
            .await;
    }
    let request = ListArtifacts {
        page: None,
        page_size: Some(2),
    };

    let stream = paging::stream(client(&server), request);
    let mut stream = std::pin::pin!(stream);
    let first = stream.next().await.unwrap().unwrap();
    let after_first = server.received_requests().await.unwrap().len();
    let rest: Vec<Value> = stream.map(Result::unwrap).collect().await;

    assert_eq!(first, json!({"id": 0}));
    assert_eq!(
        after_first, 1,
        "only the first page is fetched for the first item"
    );
    let ids: Vec<i64> = rest
        .iter()
        .map(|item| item["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![1, 2, 3, 4]);
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn stream_stops_at_total_without_link() {
    let server = server().await;
    for (page, range) in [(1, 0..2), (2, 2..4)] {
        Mock::given(method("GET"))
            .and(query_param("page", page.to_string()))
            .respond_with(
                ResponseTemplate::new(200)
                    .append_header("x-total-count", "4")
                    .set_body_json(items(range)),
            )
            .expect(1)
            .mount(&server)
            .await;
    }
    let request = ListArtifacts {
        page: None,
        page_size: Some(2),
    };

    let all: Vec<Result<Value, Error>> = paging::stream(client(&server), request).collect().await;

    assert_eq!(all.len(), 4);
    assert!(all.iter().all(Result::is_ok));
}

#[tokio::test]
async fn page_size_is_capped_at_100() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(query_param("page_size", "100"))
        .respond_with(
            ResponseTemplate::new(200)
                .append_header("x-total-count", "3")
                .set_body_json(items(0..3)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let request = ListArtifacts {
        page: None,
        page_size: Some(500),
    };

    let all: Vec<Value> = paging::stream(client(&server), request)
        .map(Result::unwrap)
        .collect()
        .await;

    assert_eq!(all.len(), 3);
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests[0].url.query(), Some("page=1&page_size=100"));
}

#[tokio::test]
async fn page_size_defaults_to_100() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(query_param("page_size", "100"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    let request = ListArtifacts {
        page: None,
        page_size: None,
    };

    let all: Vec<Result<Value, Error>> = paging::stream(client(&server), request).collect().await;

    assert!(all.is_empty());
}

#[tokio::test]
async fn empty_list_ends_stream() {
    let server = server().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .append_header("x-total-count", "0")
                .set_body_json(json!([])),
        )
        .expect(1)
        .mount(&server)
        .await;
    let request = ListArtifacts {
        page: None,
        page_size: Some(10),
    };

    let all: Vec<Result<Value, Error>> = paging::stream(client(&server), request).collect().await;

    assert!(all.is_empty());
}

#[tokio::test]
async fn null_list_is_an_empty_page() {
    let server = server().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("null"))
        .expect(1)
        .mount(&server)
        .await;
    let request = ListArtifacts {
        page: Some(1),
        page_size: Some(10),
    };

    let page = client(&server)
        .execute_page::<Value>(request.build().unwrap())
        .await
        .unwrap();

    assert!(page.items.is_empty());
    assert_eq!(page.total, None);
    assert_eq!(page.next, None);
}

#[tokio::test]
async fn page_reads_total_and_next_link() {
    let server = server().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .append_header("x-total-count", "30")
                .append_header("link", link(2, 10, 3).as_str())
                .set_body_json(items(10..20)),
        )
        .mount(&server)
        .await;
    let request = ListArtifacts {
        page: Some(2),
        page_size: Some(10),
    };

    let page = client(&server)
        .execute_page::<Value>(request.build().unwrap())
        .await
        .unwrap();

    assert_eq!(page.items.len(), 10);
    assert_eq!(page.total, Some(30));
    assert_eq!(
        page.next.as_deref(),
        Some(format!("{ARTIFACTS}?page=3&page_size=10").as_str())
    );
}

#[tokio::test]
async fn error_ends_stream() {
    let server = server().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404))
        .expect(1)
        .mount(&server)
        .await;
    let request = ListArtifacts {
        page: None,
        page_size: Some(10),
    };

    let all: Vec<Result<Value, Error>> = paging::stream(client(&server), request).collect().await;

    assert_eq!(all.len(), 1);
    assert!(all[0].as_ref().unwrap_err().is_not_found());
}

#[tokio::test]
async fn invalid_page_size_is_rejected() {
    let server = server().await;
    let request = ListArtifacts {
        page: None,
        page_size: Some(0),
    };

    let all: Vec<Result<Value, Error>> = paging::stream(client(&server), request).collect().await;

    assert_eq!(all.len(), 1);
    let error = all[0].as_ref().unwrap_err();
    assert!(
        matches!(
            error,
            Error::InvalidArgument {
                name: "page_size",
                ..
            }
        ),
        "{error}"
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn query_values_arrive_byte_exact() {
    let cases = [
        (
            Query::builder().exact("tags", "v1.0_rc"),
            "q=tags%3Dv1.0_rc",
        ),
        (Query::builder().fuzzy("name", "a+b"), "q=name%3D~a%252Bb"),
        (
            Query::builder().any_of("operation", ["push", "pull"]),
            "q=operation%3D%7Bpush%20pull%7D",
        ),
        (
            Query::builder().range("push_time", "2024-01-01T00:00:00", ""),
            "q=push_time%3D%5B2024-01-01T00%3A00%3A00~%5D",
        ),
        (
            Query::builder().exact("name", "robot$library+ci"),
            "q=name%3Drobot%2524library%252Bci",
        ),
    ];
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v2.0/robots"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(cases.len() as u64)
        .mount(&server)
        .await;
    let client = client(&server);

    for (builder, _) in &cases {
        let q = builder.clone().build().unwrap();
        let mut request = get("ListRobot", "/robots", "/robots");
        request.query.push(("q", q.as_str().to_owned()));
        let _: Vec<Value> = client.execute_json(request).await.unwrap();
    }

    let requests = server.received_requests().await.unwrap();
    for ((_, expected), request) in cases.iter().zip(&requests) {
        assert_eq!(request.url.query(), Some(*expected));
    }
}

#[tokio::test]
async fn unsupported_query_value_sends_nothing() {
    let server = server().await;

    let result = Query::builder().exact("name", "a,b").build();

    let error = result.unwrap_err();
    assert!(
        matches!(error, Error::UnsupportedQueryValue { .. }),
        "{error}"
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}
