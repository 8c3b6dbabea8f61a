//! The role catalogue: the services the emulator knows, the platform and service roles each
//! supports (with IBM's CRNs and display names) and the actions each role grants. Policies are
//! checked against it, `/v2/roles` lists it, and enforcement asks it what a role allows.
//!
//! Sources, IBM's own: the role CRNs and display names of "IAM roles and actions" and
//! "Assigning access to account management services" (ibm-cloud-docs/iam), the IAM Identity
//! and IAM Access Groups action tables there (Table 37 and 38 of the 2021 edition), Key
//! Protect's, Cloud Object Storage's, Secrets Manager's and VPC's role pages, and the role CRNs
//! IBM's SDK tests use (`iam-identity::::serviceRole:ServiceIdCreator`). Where IBM publishes
//! no action list (the services other than IAM's), the actions are a few of the service's
//! real action names chosen to tell the roles apart; they are marked "chosen" below.

/// The IBM name of the account management services' service group.
pub const IAM_SERVICE_GROUP: &str = "IAM";

/// IBM's two kinds of service: IAM-enabled services (`serviceType=service`) and account
/// management services (`serviceType=platform_service`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceType {
    Service,
    PlatformService,
}

impl ServiceType {
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceType::Service => "service",
            ServiceType::PlatformService => "platform_service",
        }
    }

    /// IBM's docs spell the account management type both `platform_service` and
    /// `platform-service`; both are taken.
    pub fn parse(s: &str) -> Option<ServiceType> {
        match s {
            "service" => Some(ServiceType::Service),
            "platform_service" | "platform-service" => Some(ServiceType::PlatformService),
            _ => None,
        }
    }
}

/// A role as the catalogue holds it.
#[derive(Debug)]
pub struct RoleDef {
    pub crn: &'static str,
    pub display_name: &'static str,
    pub description: &'static str,
    /// The actions of this service the role grants (platform roles also grant `GENERIC_*`).
    pub actions: &'static [&'static str],
}

#[derive(Debug)]
pub struct Service {
    pub name: &'static str,
    pub service_type: ServiceType,
    /// In IBM's `IAM` service group ("All IAM Account Management services").
    pub iam_group: bool,
    pub platform_roles: &'static [RoleDef],
    pub service_roles: &'static [RoleDef],
}

const VIEWER: &str = "crn:v1:bluemix:public:iam::::role:Viewer";
const OPERATOR: &str = "crn:v1:bluemix:public:iam::::role:Operator";
const EDITOR: &str = "crn:v1:bluemix:public:iam::::role:Editor";
const ADMINISTRATOR: &str = "crn:v1:bluemix:public:iam::::role:Administrator";
const READER: &str = "crn:v1:bluemix:public:iam::::serviceRole:Reader";
const WRITER: &str = "crn:v1:bluemix:public:iam::::serviceRole:Writer";
const MANAGER: &str = "crn:v1:bluemix:public:iam::::serviceRole:Manager";

// IBM's descriptions of the platform and generic service roles.
const VIEWER_TEXT: &str = "As a viewer, you can view service instances, but you can't modify them.";
const OPERATOR_TEXT: &str = "As an operator, you can perform platform actions required to configure and operate service instances, such as viewing a service's dashboard.";
const EDITOR_TEXT: &str = "As an editor, you can perform all platform actions except for managing the account and assigning access policies.";
const ADMINISTRATOR_TEXT: &str = "As an administrator, you can perform all platform actions based on the resource this role is being assigned, including assigning access policies to other users.";
const READER_TEXT: &str = "As a reader, you can perform read-only actions within a service such as viewing service-specific resources.";
const WRITER_TEXT: &str = "As a writer, you have permissions beyond the reader role, including creating and editing service-specific resources.";
const MANAGER_TEXT: &str = "As a manager, you have permissions beyond the writer role to complete privileged actions as defined by the service. In addition, you can create and edit service-specific resources.";

/// What every service's platform roles grant besides its own actions: IBM puts
/// `iam.policy.read` in Viewer and up, and the policy changes in Administrator, so a policy on a
/// service is read and managed with the roles on that service.
const GENERIC_READ: &[&str] = &["iam.policy.read"];
const GENERIC_ADMIN: &[&str] = &[
    "iam.policy.read",
    "iam.policy.create",
    "iam.policy.update",
    "iam.policy.delete",
    "iam.role.assign",
];

const fn role(
    crn: &'static str,
    display_name: &'static str,
    description: &'static str,
    actions: &'static [&'static str],
) -> RoleDef {
    RoleDef {
        crn,
        display_name,
        description,
        actions,
    }
}

/// Resource-controller actions of an IAM-enabled service's platform roles (chosen: a subset of
/// what IBM lists for every service).
const RC_VIEWER: &[&str] = &["resource-controller.instance.retrieve"];
const RC_OPERATOR: &[&str] = &[
    "resource-controller.instance.retrieve",
    "resource-controller.key.create",
    "resource-controller.key.retrieve",
];
const RC_EDITOR: &[&str] = &[
    "resource-controller.instance.retrieve",
    "resource-controller.instance.create",
    "resource-controller.instance.update",
    "resource-controller.instance.delete",
    "resource-controller.key.create",
    "resource-controller.key.retrieve",
    "resource-controller.key.delete",
];

const fn platform(
    viewer: &'static [&'static str],
    operator: &'static [&'static str],
    editor: &'static [&'static str],
    administrator: &'static [&'static str],
) -> [RoleDef; 4] {
    [
        role(VIEWER, "Viewer", VIEWER_TEXT, viewer),
        role(OPERATOR, "Operator", OPERATOR_TEXT, operator),
        role(EDITOR, "Editor", EDITOR_TEXT, editor),
        role(
            ADMINISTRATOR,
            "Administrator",
            ADMINISTRATOR_TEXT,
            administrator,
        ),
    ]
}

const RC_PLATFORM: [RoleDef; 4] = platform(RC_VIEWER, RC_OPERATOR, RC_EDITOR, RC_EDITOR);

// IAM Identity: IBM's action table (Table 38), with the 2026 role descriptions where the
// table is silent: Editor may also create IDs and keys and update trusted profiles, Operator
// delete trusted profiles, Administrator create them. `apikey.manage` (Administrator only) is
// the action that lets one manage other users' API keys.
const IDENTITY_PLATFORM: [RoleDef; 4] = platform(
    &["iam-identity.serviceid.get", "iam-identity.profile.get"],
    &[
        "iam-identity.serviceid.get",
        "iam-identity.serviceid.create",
        "iam-identity.serviceid.update",
        "iam-identity.serviceid.delete",
        "iam-identity.apikey.get",
        "iam-identity.apikey.list",
        "iam-identity.apikey.create",
        "iam-identity.apikey.update",
        "iam-identity.apikey.delete",
        "iam-identity.profile.get",
        "iam-identity.profile.delete",
    ],
    &[
        "iam-identity.serviceid.get",
        "iam-identity.serviceid.create",
        "iam-identity.serviceid.update",
        "iam-identity.apikey.get",
        "iam-identity.apikey.list",
        "iam-identity.apikey.create",
        "iam-identity.apikey.update",
        "iam-identity.profile.get",
        "iam-identity.profile.update",
    ],
    &[
        "iam-identity.serviceid.get",
        "iam-identity.serviceid.create",
        "iam-identity.serviceid.update",
        "iam-identity.serviceid.delete",
        "iam-identity.apikey.manage",
        "iam-identity.apikey.get",
        "iam-identity.apikey.list",
        "iam-identity.apikey.create",
        "iam-identity.apikey.update",
        "iam-identity.apikey.delete",
        "iam-identity.profile.get",
        "iam-identity.profile.create",
        "iam-identity.profile.update",
        "iam-identity.profile.delete",
    ],
);

const IDENTITY_SERVICE: [RoleDef; 2] = [
    role(
        "crn:v1:bluemix:public:iam-identity::::serviceRole:UserApiKeyCreator",
        "User API key creator",
        "Can create API keys when the account setting to restrict API key creation is enabled.",
        &["iam-identity.user-apikey.create"],
    ),
    role(
        "crn:v1:bluemix:public:iam-identity::::serviceRole:ServiceIdCreator",
        "Service ID creator",
        "Can create service IDs when the account setting to restrict service ID creation is enabled.",
        &["iam-identity.serviceid.create"],
    ),
];

// IAM Access Groups: IBM's action table (Table 37). IBM lists no Operator role for it.
const GROUPS_READ: &[&str] = &[
    "iam-groups.groups.read",
    "iam-groups.groups.list",
    "iam-groups.members.read",
    "iam-groups.members.list",
    "iam-groups.account-settings.read",
];
const GROUPS_EDIT: &[&str] = &[
    "iam-groups.groups.read",
    "iam-groups.groups.list",
    "iam-groups.members.read",
    "iam-groups.members.list",
    "iam-groups.account-settings.read",
    "iam-groups.groups.create",
    "iam-groups.groups.update",
    "iam-groups.groups.delete",
    "iam-groups.members.add",
    "iam-groups.members.delete",
];
const GROUPS_ADMIN: &[&str] = &[
    "iam-groups.groups.read",
    "iam-groups.groups.list",
    "iam-groups.members.read",
    "iam-groups.members.list",
    "iam-groups.account-settings.read",
    "iam-groups.groups.create",
    "iam-groups.groups.update",
    "iam-groups.groups.delete",
    "iam-groups.members.add",
    "iam-groups.members.delete",
    "iam-groups.account-settings.update",
];
const GROUPS_PLATFORM: [RoleDef; 3] = [
    role(VIEWER, "Viewer", VIEWER_TEXT, GROUPS_READ),
    role(EDITOR, "Editor", EDITOR_TEXT, GROUPS_EDIT),
    role(
        ADMINISTRATOR,
        "Administrator",
        ADMINISTRATOR_TEXT,
        GROUPS_ADMIN,
    ),
];

// IAM Access Management (policies and custom roles): IBM's role descriptions ("Viewer,
// Operator: view access policies and custom roles; Editor: view and edit custom roles;
// Administrator: view, create, edit and delete custom roles and access policies").
const ACCESS_READ: &[&str] = &["iam.policy.read", "iam.role.read"];
const ACCESS_PLATFORM: [RoleDef; 4] = platform(
    ACCESS_READ,
    ACCESS_READ,
    &["iam.policy.read", "iam.role.read", "iam.role.update"],
    &[
        "iam.policy.read",
        "iam.role.read",
        "iam.role.update",
        "iam.role.create",
        "iam.role.delete",
    ],
);

const fn generic_service(
    reader: &'static [&'static str],
    writer: &'static [&'static str],
    manager: &'static [&'static str],
) -> [RoleDef; 3] {
    [
        role(READER, "Reader", READER_TEXT, reader),
        role(WRITER, "Writer", WRITER_TEXT, writer),
        role(MANAGER, "Manager", MANAGER_TEXT, manager),
    ]
}

// Key Protect: Reader, ReaderPlus, Writer, Manager as its "Managing user access" page maps
// them, and KeyPurge ("KMS Key Purge Role", the name IBM's Terraform modules use). Its own
// roles' CRNs follow the `<service>::::serviceRole:<Name>` form IBM documents for
// Hyper Protect Crypto Services' identical roles.
const KMS_READ: &[&str] = &[
    "kms.secrets.list",
    "kms.secrets.readmetadata",
    "kms.secrets.wrap",
    "kms.secrets.unwrap",
    "kms.secrets.rewrap",
];
const KMS_SERVICE: [RoleDef; 5] = [
    role(READER, "Reader", READER_TEXT, KMS_READ),
    role(
        "crn:v1:bluemix:public:kms::::serviceRole:ReaderPlus",
        "ReaderPlus",
        "As a ReaderPlus, you can browse a high-level view of keys, access key material for standard keys, and perform wrap and unwrap actions.",
        &[
            "kms.secrets.list",
            "kms.secrets.readmetadata",
            "kms.secrets.read",
            "kms.secrets.wrap",
            "kms.secrets.unwrap",
            "kms.secrets.rewrap",
        ],
    ),
    role(
        WRITER,
        "Writer",
        WRITER_TEXT,
        &[
            "kms.secrets.list",
            "kms.secrets.readmetadata",
            "kms.secrets.read",
            "kms.secrets.wrap",
            "kms.secrets.unwrap",
            "kms.secrets.rewrap",
            "kms.secrets.create",
            "kms.secrets.import",
            "kms.secrets.rotate",
            "kms.secrets.setkeyfordeletion",
            "kms.secrets.unsetkeyfordeletion",
        ],
    ),
    role(
        MANAGER,
        "Manager",
        MANAGER_TEXT,
        &[
            "kms.secrets.list",
            "kms.secrets.readmetadata",
            "kms.secrets.read",
            "kms.secrets.wrap",
            "kms.secrets.unwrap",
            "kms.secrets.rewrap",
            "kms.secrets.create",
            "kms.secrets.import",
            "kms.secrets.rotate",
            "kms.secrets.setkeyfordeletion",
            "kms.secrets.unsetkeyfordeletion",
            "kms.secrets.delete",
            "kms.secrets.enable",
            "kms.secrets.disable",
            "kms.secrets.restore",
            "kms.policies.read",
            "kms.policies.write",
        ],
    ),
    role(
        "crn:v1:bluemix:public:kms::::serviceRole:KeyPurge",
        "KMS Key Purge Role",
        "Purge keys that were deleted at least four hours ago.",
        &["kms.secrets.purge"],
    ),
];

// Cloud Object Storage: its documented roles and role CRNs (ContentReader, ObjectReader,
// ObjectWriter, ObjectLister appear as CRNs in IBM's COS documentation); actions chosen.
const COS_SERVICE: [RoleDef; 7] = [
    role(
        READER,
        "Reader",
        READER_TEXT,
        &[
            "cloud-object-storage.bucket.list_bucket_crn",
            "cloud-object-storage.bucket.get",
            "cloud-object-storage.object.get",
            "cloud-object-storage.bucket.get_object_list",
        ],
    ),
    role(
        WRITER,
        "Writer",
        WRITER_TEXT,
        &[
            "cloud-object-storage.bucket.list_bucket_crn",
            "cloud-object-storage.bucket.get",
            "cloud-object-storage.object.get",
            "cloud-object-storage.bucket.get_object_list",
            "cloud-object-storage.bucket.put_bucket",
            "cloud-object-storage.bucket.delete_bucket",
            "cloud-object-storage.object.put",
            "cloud-object-storage.object.delete",
        ],
    ),
    role(
        MANAGER,
        "Manager",
        MANAGER_TEXT,
        &[
            "cloud-object-storage.bucket.list_bucket_crn",
            "cloud-object-storage.bucket.get",
            "cloud-object-storage.object.get",
            "cloud-object-storage.bucket.get_object_list",
            "cloud-object-storage.bucket.put_bucket",
            "cloud-object-storage.bucket.delete_bucket",
            "cloud-object-storage.object.put",
            "cloud-object-storage.object.delete",
            "cloud-object-storage.bucket.put_acl",
            "cloud-object-storage.bucket.put_lifecycle",
        ],
    ),
    role(
        "crn:v1:bluemix:public:cloud-object-storage::::serviceRole:ContentReader",
        "Content Reader",
        "As a Content Reader, one can read and list objects in the bucket.",
        &[
            "cloud-object-storage.object.get",
            "cloud-object-storage.bucket.get_object_list",
        ],
    ),
    role(
        "crn:v1:bluemix:public:cloud-object-storage::::serviceRole:ObjectReader",
        "Object Reader",
        "As an Object Reader, one can read objects in the bucket.",
        &["cloud-object-storage.object.get"],
    ),
    role(
        "crn:v1:bluemix:public:cloud-object-storage::::serviceRole:ObjectWriter",
        "Object Writer",
        "As an Object Writer, one can only write objects to a bucket.",
        &["cloud-object-storage.object.put"],
    ),
    role(
        "crn:v1:bluemix:public:cloud-object-storage::::serviceRole:ObjectLister",
        "Object Lister",
        "As an Object Lister, one can list the objects in a bucket.",
        &["cloud-object-storage.bucket.get_object_list"],
    ),
];

// Kubernetes Service: the generic service roles (IBM maps them to Kubernetes RBAC); platform
// roles with its cluster actions (a subset of IBM's table).
const KUBE_PLATFORM: [RoleDef; 4] = platform(
    &["containers-kubernetes.cluster.read"],
    &[
        "containers-kubernetes.cluster.read",
        "containers-kubernetes.cluster.operate",
    ],
    &[
        "containers-kubernetes.cluster.read",
        "containers-kubernetes.cluster.operate",
        "containers-kubernetes.cluster.update",
    ],
    &[
        "containers-kubernetes.cluster.read",
        "containers-kubernetes.cluster.operate",
        "containers-kubernetes.cluster.update",
        "containers-kubernetes.cluster.create",
    ],
);
const KUBE_SERVICE: [RoleDef; 3] = generic_service(
    &["containers-kubernetes.kube.read"],
    &[
        "containers-kubernetes.kube.read",
        "containers-kubernetes.kube.write",
    ],
    &[
        "containers-kubernetes.kube.read",
        "containers-kubernetes.kube.write",
        "containers-kubernetes.kube.admin",
    ],
);

// VPC Infrastructure Services: IBM's role ID table, whose own roles are filed under `iam`
// (an `is::::serviceRole:VPNClient` is refused by IBM). Actions chosen.
const VPC_SERVICE: [RoleDef; 8] = [
    role(READER, "Reader", READER_TEXT, &["is.vpc.vpc.read"]),
    role(
        WRITER,
        "Writer",
        WRITER_TEXT,
        &["is.vpc.vpc.read", "is.vpc.vpc.update"],
    ),
    role(
        MANAGER,
        "Manager",
        MANAGER_TEXT,
        &["is.vpc.vpc.read", "is.vpc.vpc.update", "is.vpc.vpc.manage"],
    ),
    role(
        "crn:v1:bluemix:public:iam::::serviceRole:VPNClient",
        "VPN Client",
        "As a VPN client, you can connect to a VPN server.",
        &["is.vpn-server.vpn-server.connect"],
    ),
    role(
        "crn:v1:bluemix:public:iam::::serviceRole:BareMetalAdvancedNetworkOperator",
        "Bare Metal Advanced Network Operator",
        "Modify IP spoofing and infrastructure NAT configuration on bare metal server network interfaces.",
        &["is.bare-metal-server.network-interface.update-advanced"],
    ),
    role(
        "crn:v1:bluemix:public:iam::::serviceRole:BareMetalConsoleAdmin",
        "Bare Metal Console Administrator",
        "Access the bare metal server console.",
        &["is.bare-metal-server.bare-metal-server.console"],
    ),
    role(
        "crn:v1:bluemix:public:iam::::serviceRole:IPSpoofingOperator",
        "IP Spoofing Operator",
        "Enable or disable the IP spoofing check on virtual server instance network interfaces.",
        &["is.instance.network-interface.ip-spoofing"],
    ),
    role(
        "crn:v1:bluemix:public:iam::::serviceRole:VirtualServerConsoleAdmin",
        "Console Administrator",
        "Access the virtual server instance console.",
        &["is.instance.instance.console"],
    ),
];

// Secrets Manager: Reader, SecretsReader, Writer, Manager. IBM's page writes every one under
// `secrets-manager`, platform roles included, which IBM's own policies contradict; Reader,
// Writer and Manager are taken to be the generic ones and SecretsReader its own.
const SM_SERVICE: [RoleDef; 4] = [
    role(
        READER,
        "Reader",
        READER_TEXT,
        &["secrets-manager.secrets.list"],
    ),
    role(
        "crn:v1:bluemix:public:secrets-manager::::serviceRole:SecretsReader",
        "SecretsReader",
        "As a secrets reader, you can view and read the payload of secrets.",
        &[
            "secrets-manager.secrets.list",
            "secrets-manager.secret.read",
        ],
    ),
    role(
        WRITER,
        "Writer",
        WRITER_TEXT,
        &[
            "secrets-manager.secrets.list",
            "secrets-manager.secret.read",
            "secrets-manager.secret.create",
            "secrets-manager.secret.rotate",
        ],
    ),
    role(
        MANAGER,
        "Manager",
        MANAGER_TEXT,
        &[
            "secrets-manager.secrets.list",
            "secrets-manager.secret.read",
            "secrets-manager.secret.create",
            "secrets-manager.secret.rotate",
            "secrets-manager.secret.delete",
            "secrets-manager.secret-group.create",
        ],
    ),
];

pub const SERVICES: &[Service] = &[
    Service {
        name: "iam-identity",
        service_type: ServiceType::PlatformService,
        iam_group: true,
        platform_roles: &IDENTITY_PLATFORM,
        service_roles: &IDENTITY_SERVICE,
    },
    Service {
        name: "iam-groups",
        service_type: ServiceType::PlatformService,
        iam_group: true,
        platform_roles: &GROUPS_PLATFORM,
        service_roles: &[],
    },
    Service {
        name: "iam-access-management",
        service_type: ServiceType::PlatformService,
        iam_group: true,
        platform_roles: &ACCESS_PLATFORM,
        service_roles: &[],
    },
    Service {
        name: "kms",
        service_type: ServiceType::Service,
        iam_group: false,
        platform_roles: &RC_PLATFORM,
        service_roles: &KMS_SERVICE,
    },
    Service {
        name: "cloud-object-storage",
        service_type: ServiceType::Service,
        iam_group: false,
        platform_roles: &RC_PLATFORM,
        service_roles: &COS_SERVICE,
    },
    Service {
        name: "containers-kubernetes",
        service_type: ServiceType::Service,
        iam_group: false,
        platform_roles: &KUBE_PLATFORM,
        service_roles: &KUBE_SERVICE,
    },
    Service {
        name: "is",
        service_type: ServiceType::Service,
        iam_group: false,
        platform_roles: &RC_PLATFORM,
        service_roles: &VPC_SERVICE,
    },
    Service {
        name: "secrets-manager",
        service_type: ServiceType::Service,
        iam_group: false,
        platform_roles: &RC_PLATFORM,
        service_roles: &SM_SERVICE,
    },
];

/// The four platform roles as they stand for no particular service (a policy on every
/// service of a type, or `/v2/roles` without a service).
pub const SYSTEM_ROLES: [RoleDef; 4] = platform(&[], &[], &[], &[]);
/// Reader, Writer and Manager as they stand for no particular service.
pub const GENERIC_SERVICE_ROLES: [RoleDef; 3] = generic_service(&[], &[], &[]);

pub fn service(name: &str) -> Option<&'static Service> {
    SERVICES.iter().find(|s| s.name == name)
}

/// The IAM Identity roles a policy on the `IAM` service group may grant besides the platform
/// roles (IBM lists them under "All IAM Account Management services").
pub fn iam_group_service_roles() -> &'static [RoleDef] {
    &IDENTITY_SERVICE
}

impl Service {
    pub fn role(&self, crn: &str) -> Option<&'static RoleDef> {
        self.platform_roles
            .iter()
            .chain(self.service_roles)
            .find(|r| r.crn == crn)
    }
}

/// A platform role's CRN: `Viewer`, `Operator`, `Editor` or `Administrator`.
pub fn is_platform_role(crn: &str) -> bool {
    SYSTEM_ROLES.iter().any(|r| r.crn == crn)
}

pub fn is_generic_service_role(crn: &str) -> bool {
    GENERIC_SERVICE_ROLES.iter().any(|r| r.crn == crn)
}

/// The actions `crn` grants on `service` (a service the catalogue knows), the generic policy
/// actions of platform roles included; empty when the role is not the service's.
pub fn actions(service: Option<&Service>, crn: &str) -> Vec<&'static str> {
    let generic: &[&str] = match crn {
        ADMINISTRATOR => GENERIC_ADMIN,
        VIEWER | OPERATOR | EDITOR => GENERIC_READ,
        _ => &[],
    };
    let own = service
        .and_then(|s| s.role(crn))
        .map(|r| r.actions)
        .unwrap_or_default();
    let mut out: Vec<&'static str> = own.to_vec();
    for a in generic {
        if !out.contains(a) {
            out.push(a);
        }
    }
    out
}

/// The name a role CRN ends in (`Viewer`, `ServiceIdCreator`, a custom role's name).
pub fn role_name(crn: &str) -> &str {
    crn.rsplit(':').next().unwrap_or(crn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_is_named_by_its_crn_and_unique_in_its_service() {
        for s in SERVICES {
            let all: Vec<&RoleDef> = s.platform_roles.iter().chain(s.service_roles).collect();
            for (i, r) in all.iter().enumerate() {
                assert!(r.crn.starts_with("crn:v1:bluemix:public:"), "{}", r.crn);
                assert!(r.crn.contains("::::role:") || r.crn.contains("::::serviceRole:"));
                assert!(
                    all[..i].iter().all(|o| o.crn != r.crn),
                    "{} twice in {}",
                    r.crn,
                    s.name
                );
                for a in r.actions {
                    assert!(
                        a.starts_with(&format!("{}.", s.name))
                            || a.starts_with("resource-controller.")
                            || a.starts_with("iam."),
                        "{a} is not an action of {}",
                        s.name
                    );
                }
            }
        }
    }

    #[test]
    fn platform_roles_grant_the_policy_actions_ibm_gives_them() {
        let identity = service("iam-identity");
        assert!(actions(identity, VIEWER).contains(&"iam.policy.read"));
        assert!(!actions(identity, EDITOR).contains(&"iam.policy.create"));
        assert!(actions(identity, ADMINISTRATOR).contains(&"iam.policy.create"));
        assert!(actions(identity, ADMINISTRATOR).contains(&"iam-identity.apikey.manage"));
        assert!(!actions(identity, OPERATOR).contains(&"iam-identity.apikey.manage"));
        assert!(
            actions(
                service("kms"),
                "crn:v1:bluemix:public:kms::::serviceRole:KeyPurge"
            )
            .contains(&"kms.secrets.purge")
        );
        assert!(service("iam-groups").is_some_and(|s| s.role(OPERATOR).is_none()));
        assert_eq!(role_name(VIEWER), "Viewer");
    }
}
