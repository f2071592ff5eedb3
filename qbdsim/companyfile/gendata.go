package companyfile

// Word lists for generated companies. They are the generator's own; names
// are combined at random so that large files stay varied.
var (
	genFirstNames = []string{"Ava", "Liam", "Noah", "Emma", "Olivia", "Mateo", "Sofia", "Ethan", "Mia", "Lucas", "Amara", "Kenji", "Priya", "Diego",
		"Hannah", "Omar", "Grace", "Tomas", "Chloe", "Isaac", "Leah", "Ravi", "Zoe", "Samuel", "Nora", "Felix", "Ines", "Caleb", "Maya", "Jonah",
		"Elena", "Arjun", "Ruby", "Victor", "Lena", "Marcus", "Aisha", "Owen", "Clara", "Hugo", "Yuki", "Daniel", "Fatima", "Peter", "Rosa", "Theo"}
	genLastNames = []string{"Hansen", "Okafor", "Nguyen", "Garcia", "Schmidt", "Patel", "Johnson", "Kowalski", "Rossi", "Tanaka", "Murphy", "Silva",
		"Andersson", "Cohen", "Dubois", "Ibrahim", "Jensen", "Kim", "Lopez", "Moreau", "Novak", "O'Brien", "Petrov", "Quinn", "Reyes", "Sato",
		"Thompson", "Usman", "Vargas", "Walsh", "Young", "Zimmerman", "Baker", "Chen", "Delgado", "Evans", "Fischer", "Gupta", "Horvat", "Ivanova",
		"Lindqvist", "Mensah", "Brennan", "Castillo", "Fontaine", "Haddad", "Kaur", "Larsen", "Mbeki", "Oduya", "Price", "Romano", "Stein", "Torres"}
	genTrades = []string{"Plumbing", "Landscaping", "Electric", "Roofing", "Construction", "Bakery", "Dental", "Auto Repair", "Catering", "Painting",
		"Flooring", "Heating & Air", "Design Studio", "Veterinary Clinic", "Fitness", "Printing", "Cabinetry", "Tree Service", "Pool Care", "Interiors"}
	genFirmKinds = []string{"LLC", "Inc.", "Partners", "Group", "Associates", "Co.", "Holdings", "Services", "Enterprises", "Ltd."}
	genPlaces    = []string{"Blue Ridge", "Harbor", "Cedar Valley", "Summit", "Riverbend", "Oak Hill", "Prairie", "Northgate", "Silver Lake", "Maple",
		"Bayview", "Pinecrest", "Red Rock", "Lakeside", "Westfield", "Granite", "Sunrise", "Meadowbrook", "Eastside", "Highland"}
	genJobs = []string{"Kitchen Remodel", "Office Fit-out", "Annual Maintenance", "Roof Replacement", "Bathroom Renovation", "Deck Addition",
		"Warehouse Lighting", "Landscape Redesign", "Basement Finish", "Parking Lot Repair", "Storefront", "Phase 2", "Spring Cleanup", "HVAC Upgrade"}
	genStreets     = []string{"Main", "Oak", "Maple", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park", "Pine", "Walnut", "Sunset", "Ridge", "Mill", "Church", "River", "Spring", "Highland", "Forest", "Meadow"}
	genStreetKinds = []string{"St", "Ave", "Rd", "Blvd", "Ln", "Dr", "Way", "Ct", "Pl", "Pkwy"}
	genCities      = [][3]string{{"Springfield", "IL", "62"}, {"Madison", "WI", "53"}, {"Boulder", "CO", "80"}, {"Austin", "TX", "78"}, {"Portland", "OR", "97"},
		{"Raleigh", "NC", "27"}, {"Tucson", "AZ", "85"}, {"Albany", "NY", "12"}, {"Columbus", "OH", "43"}, {"Sacramento", "CA", "95"}, {"Richmond", "VA", "23"},
		{"Boise", "ID", "83"}, {"Omaha", "NE", "68"}, {"Savannah", "GA", "31"}, {"Burlington", "VT", "05"}, {"Spokane", "WA", "99"}, {"Tulsa", "OK", "74"},
		{"Des Moines", "IA", "50"}, {"Lexington", "KY", "40"}, {"Fargo", "ND", "58"}}
	genDomains      = []string{"example.com", "example.net", "example.org", "mail.example.com", "biz.example"}
	genServices     = []string{"Consulting", "Installation", "Repair Labor", "Design Hours", "Maintenance Visit", "Inspection", "Training", "Project Management", "Site Survey", "Cleanup", "Delivery", "Emergency Call-out"}
	genServiceAdj   = []string{"Standard", "Senior", "After-hours", "Weekend", "On-site", "Remote", "Premium", "Basic"}
	genProducts     = []string{"Copper Fitting", "PVC Pipe", "LED Panel", "Circuit Breaker", "Roof Shingle Bundle", "Paint Gallon", "Oak Board", "Tile Box", "Air Filter", "Thermostat", "Door Hinge", "Faucet", "Garden Hose", "Mulch Bag", "Sealant Tube", "Wire Spool"}
	genProductAdj   = []string{"Small", "Large", "Heavy-duty", "Eco", "Pro", "Classic", "Compact", "Industrial"}
	genSKUPrefix    = []string{"CF", "PP", "LED", "CB", "RS", "PG", "OB", "TB", "AF", "TH", "DH", "FC", "GH", "MB", "ST", "WS"}
	genVendorPrefix = []string{"Allied", "Central", "Premier", "United", "Metro", "Pacific", "Atlantic", "National", "Frontier", "Keystone", "Liberty", "Pioneer"}
	genVendorKinds  = []string{"Supply", "Office Products", "Utilities", "Insurance", "Telecom", "Fuel", "Hardware", "Freight", "Equipment Rental", "Lumber", "Electric Supply", "Software"}
	genClasses      = []string{"Residential", "Commercial", "Government", "Retail", "Wholesale", "Online", "North", "South", "East", "West", "Service", "Products"}
	genJobTitles    = []string{"Technician", "Project Manager", "Office Manager", "Estimator", "Foreman", "Bookkeeper", "Sales Associate", "Apprentice", "Designer"}
	genMemos        = []string{"Thank you for your business!", "Net terms as agreed.", "Work completed as quoted.", "Materials and labor.", "Progress billing.", "Monthly service.", "Per signed estimate."}
	genExpenseMemos = []string{"Monthly invoice", "Supplies", "Service call", "Quarterly premium", "Fuel", "Equipment rental", "Utilities", "Subscription", "Repairs"}
	genJournalMemos = []string{"Depreciation", "Accrual adjustment", "Reclassify expense", "Year-end adjustment", "Correct posting"}
)
