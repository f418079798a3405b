"""What a synthetic org is made of: offices, languages, skills, interests, departments,
names and roles, and the sizes that bound events.
"""

from __future__ import annotations

BROADCAST_SIZE = 25
"""Events with more people than this are broadcasts; planted people may only share those."""
ALL_HANDS_CAP = 2_000
"""At most this many attendees per all-hands, to bound the row count of large departments."""

# city, IANA zone, local language, share of the workforce
_OFFICES = (
    ("Berlin", "Europe/Berlin", "German", 0.15),
    ("London", "Europe/London", "English", 0.14),
    ("New York", "America/New_York", "English", 0.16),
    ("San Francisco", "America/Los_Angeles", "English", 0.13),
    ("Bangalore", "Asia/Kolkata", "Hindi", 0.16),
    ("Singapore", "Asia/Singapore", "Mandarin", 0.08),
    ("São Paulo", "America/Sao_Paulo", "Portuguese", 0.09),
    ("Sydney", "Australia/Sydney", "English", 0.09),
)
_LANGUAGES = (
    "English", "German", "Hindi", "Mandarin", "Portuguese", "Spanish", "French",
    "Italian", "Japanese", "Dutch", "Polish", "Arabic", "Korean", "Tamil", "Turkish",
)  # fmt: skip
_SKILLS = (
    "python", "java", "javascript", "sql", "cloud", "kubernetes", "security",
    "data analysis", "machine learning", "statistics", "ux design", "product management",
    "project management", "public speaking", "technical writing", "negotiation", "sales",
    "crm", "customer success", "financial modelling", "accounting", "excel", "recruiting",
    "coaching", "people management", "marketing analytics", "seo", "copywriting",
    "contract law", "compliance", "research methods",
)  # fmt: skip
_INTERESTS = (
    "hiking", "running", "cycling", "climbing", "yoga", "chess", "board games",
    "video games", "cooking", "baking", "coffee", "photography", "film", "music", "guitar",
    "piano", "singing", "reading", "writing", "history", "travel", "language learning",
    "gardening", "birdwatching", "football", "basketball", "tennis", "swimming",
    "volunteering", "parenting", "dogs", "cats", "podcasts", "painting", "crafts",
    "theatre", "dance", "astronomy", "sustainability", "science fiction",
)  # fmt: skip
# department, team words, favoured skills
_DEPARTMENTS = (
    ("Engineering", ("Platform", "Payments", "Mobile", "Web", "Infrastructure", "Reliability",
                     "Identity", "Data Platform"),
     ("python", "java", "javascript", "sql", "cloud", "kubernetes", "security")),
    ("Sales", ("Enterprise Sales", "Mid-Market", "Partnerships", "Renewals", "Sales Ops"),
     ("negotiation", "sales", "crm", "public speaking")),
    ("Operations", ("Logistics", "Facilities", "Procurement", "Business Ops", "IT Support"),
     ("project management", "excel", "data analysis")),
    ("Finance", ("Accounting", "Planning", "Treasury", "Tax", "Payroll"),
     ("financial modelling", "accounting", "excel", "compliance")),
    ("People", ("Recruiting", "People Partners", "Learning", "Total Rewards"),
     ("recruiting", "coaching", "people management", "public speaking")),
    ("Marketing", ("Brand", "Growth", "Content", "Events", "Product Marketing"),
     ("marketing analytics", "seo", "copywriting", "public speaking")),
    ("Product", ("Product Design", "Discovery", "Product Analytics", "Roadmap"),
     ("product management", "ux design", "data analysis", "research methods")),
    ("Support", ("Customer Care", "Technical Support", "Onboarding", "Success"),
     ("customer success", "crm", "technical writing")),
    ("Legal", ("Contracts", "Privacy", "Compliance", "Corporate Legal"),
     ("contract law", "compliance", "technical writing")),
    ("Research", ("Applied Research", "Data Science", "Labs", "Insights"),
     ("machine learning", "statistics", "python", "research methods")),
)  # fmt: skip
_FIRST_NAMES = (
    "Ada", "Aisha", "Akira", "Alejandro", "Amara", "Ana", "Anders", "Arjun", "Beatriz", "Ben",
    "Chen", "Chloe", "Daniel", "Deepa", "Diego", "Elena", "Emeka", "Emma", "Farah", "Felix",
    "Fatima", "Gabriel", "Hana", "Hugo", "Ines", "Isaac", "Jia", "Jonas", "Julia", "Kai",
    "Kavya", "Lars", "Leila", "Lucas", "Maya", "Mei", "Mateo", "Nadia", "Noah", "Olga",
    "Omar", "Priya", "Rafael", "Rosa", "Sam", "Sofia", "Tariq", "Yuki", "Zoe", "Wei",
)  # fmt: skip
_LAST_NAMES = (
    "Adeyemi", "Almeida", "Becker", "Bianchi", "Chen", "Costa", "Das", "Dubois", "Fischer",
    "Garcia", "Gupta", "Hansen", "Ito", "Jansen", "Kim", "Kowalski", "Kumar", "Larsen", "Lee",
    "Lopez", "Martin", "Mensah", "Meyer", "Murphy", "Nakamura", "Nguyen", "Novak", "Okafor",
    "Oliveira", "Patel", "Petrov", "Reddy", "Rossi", "Santos", "Schmidt", "Silva", "Singh",
    "Smith", "Tanaka", "Taylor", "Wang", "Weber", "Williams", "Wong", "Yilmaz", "Zhang",
)  # fmt: skip
_ROLES = ("mentor", "mentee", "buddy", "peer_supporter", "peer_support_consent", "support_request")
