//! Create a Harbor project, a local user and the user's membership in the project.
//!
//! ```sh
//! cargo run --example harbor-project-access -- --dry-run
//! HARBOR_PASSWORD=... HARBOR_USER_PASSWORD=... cargo run --example harbor-project-access -- \
//!     --url https://harbor.example.com --project team-a --user alice \
//!     --email alice@example.com --realname "Alice Example" --role developer
//! ```
//!
//! Each step is idempotent: a second run reports `unchanged`.

#[path = "common/dry_run.rs"]
#[allow(dead_code)]
mod dry_run;
#[path = "common/harbor_args.rs"]
#[allow(dead_code)]
mod harbor_args;

use std::error::Error;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use harbor_client::ProjectRef;
use harbor_client::generated::Secret;
use harbor_client::generated::models::{
    ProjectMember, ProjectMetadata, ProjectReq, UserCreationReq, UserEntity,
};
use harbor_client::generated::operations::member::{CreateProjectMember, ListProjectMembers};
use harbor_client::generated::operations::project::{CreateProject, GetProject};
use harbor_client::generated::operations::user::{CreateUser, ListUsers};
use harbor_client::paging::DEFAULT_PAGE_SIZE;
use harbor_client::query::Query;
use harbor_client::tasks::{
    Member, MemberSpec, ProjectSpec, Role, UserSpec, ensure_project, ensure_project_member,
    ensure_user,
};
use secrecy::SecretString;

use dry_run::{REDACTED, error_chain, print_request};
use harbor_args::{HarborArgs, secret_from_env};

#[derive(Debug, Parser)]
#[command(about = "Ensure a Harbor project, a user and the user's role in the project")]
struct Cli {
    #[command(flatten)]
    harbor: HarborArgs,
    /// Project name.
    #[arg(long, default_value = "team-a")]
    project: String,
    /// Make the project public (anyone may pull).
    #[arg(long)]
    public: bool,
    /// Storage quota of the project in GiB; unset leaves the quota alone.
    #[arg(long, value_name = "GIB")]
    storage_limit_gib: Option<i64>,
    /// Login name of the user.
    #[arg(long, default_value = "alice")]
    user: String,
    /// E-mail address of the user.
    #[arg(long, default_value = "alice@example.test")]
    email: String,
    /// Full name of the user.
    #[arg(long, default_value = "Alice Example")]
    realname: String,
    /// Role of the user in the project.
    #[arg(long, value_enum, default_value_t = RoleArg::Developer)]
    role: RoleArg,
    /// Print the requests instead of sending them. Needs no environment variable.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum RoleArg {
    ProjectAdmin,
    Maintainer,
    Developer,
    Guest,
    LimitedGuest,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::ProjectAdmin => Role::ProjectAdmin,
            RoleArg::Maintainer => Role::Maintainer,
            RoleArg::Developer => Role::Developer,
            RoleArg::Guest => Role::Guest,
            RoleArg::LimitedGuest => Role::LimitedGuest,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = if cli.dry_run {
        dry_run(&cli)
    } else {
        apply(&cli)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", error_chain(error.as_ref()));
            ExitCode::FAILURE
        }
    }
}

fn storage_limit_bytes(cli: &Cli) -> Option<i64> {
    cli.storage_limit_gib.map(|gib| gib.saturating_mul(1 << 30))
}

/// Builds the three desired states. In a dry run the password is a placeholder that passes
/// Harbor's password rules and is never printed.
fn specs(
    cli: &Cli,
    password: SecretString,
) -> Result<(ProjectSpec, UserSpec, MemberSpec), Box<dyn Error>> {
    let mut project = ProjectSpec::new(&cli.project)?.public(cli.public);
    if let Some(bytes) = storage_limit_bytes(cli) {
        project = project.storage_limit(bytes)?;
    }
    let user = UserSpec::new(&cli.user, &cli.email, &cli.realname, password)?;
    let member = MemberSpec::new(
        ProjectRef::name(&cli.project),
        Member::User(cli.user.clone()),
        cli.role.into(),
    )?;
    Ok((project, user, member))
}

/// Prints the requests that the ensure calls send to a Harbor where none of the three exists yet:
/// each one is read first, then created. Against an existing resource the create is replaced by an
/// update of the fields that differ, or by nothing.
fn dry_run(cli: &Cli) -> Result<(), Box<dyn Error>> {
    specs(cli, SecretString::from("Placeholder1".to_owned()))?;
    let base = &cli.harbor.url;
    let role: Role = cli.role.into();
    println!(
        "Dry run: requests to {base} as {} for a Harbor without these resources",
        cli.harbor.username
    );

    println!("\n# project {}", cli.project);
    print_request(
        base,
        &GetProject::new(ProjectRef::name(&cli.project)).build()?,
    );
    let project = ProjectReq {
        project_name: Some(cli.project.clone()),
        public: Some(cli.public),
        metadata: Some(ProjectMetadata {
            public: Some(cli.public.to_string()),
            ..ProjectMetadata::default()
        }),
        storage_limit: storage_limit_bytes(cli),
        ..ProjectReq::default()
    };
    print_request(base, &CreateProject::new(project).build()?);

    println!("\n# user {}", cli.user);
    let query = Query::builder().exact("username", &cli.user).build()?;
    print_request(base, &ListUsers::new().q(query).page_size(100).build()?);
    let user = UserCreationReq {
        email: Some(cli.email.clone()),
        realname: Some(cli.realname.clone()),
        comment: None,
        password: Some(Secret::new(REDACTED)),
        username: Some(cli.user.clone()),
    };
    print_request(base, &CreateUser::new(user).build()?);

    println!(
        "\n# member {} of {} with role id {}",
        cli.user,
        cli.project,
        role.id()
    );
    print_request(
        base,
        &ListProjectMembers::new(ProjectRef::name(&cli.project))
            .entityname(&cli.user)
            .page(1)
            .page_size(DEFAULT_PAGE_SIZE)
            .build()?,
    );
    let member = ProjectMember {
        role_id: Some(role.id()),
        member_user: Some(UserEntity {
            user_id: None,
            username: Some(cli.user.clone()),
        }),
        member_group: None,
    };
    print_request(
        base,
        &CreateProjectMember::new(ProjectRef::name(&cli.project))
            .project_member(member)
            .build()?,
    );
    Ok(())
}

fn apply(cli: &Cli) -> Result<(), Box<dyn Error>> {
    let password = secret_from_env("HARBOR_USER_PASSWORD")?;
    let (project, user, member) = specs(cli, password)?;
    let client = cli.harbor.client()?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        report(
            "project",
            &cli.project,
            ensure_project(&client, &project).await.map(|o| o.verb()),
        )?;
        report(
            "user",
            &cli.user,
            ensure_user(&client, &user).await.map(|o| o.verb()),
        )?;
        let member_name = format!("{} in {}", cli.user, cli.project);
        report(
            "member",
            &member_name,
            ensure_project_member(&client, &member)
                .await
                .map(|o| o.verb()),
        )?;
        Ok(())
    })
}

/// Prints `kind name verb`, or `kind name failed` and returns the error.
fn report(
    kind: &str,
    name: &str,
    result: Result<&'static str, harbor_client::Error>,
) -> Result<(), Box<dyn Error>> {
    match result {
        Ok(verb) => {
            println!("{kind} {name} {verb}");
            Ok(())
        }
        Err(error) => {
            println!("{kind} {name} failed");
            Err(error.into())
        }
    }
}
